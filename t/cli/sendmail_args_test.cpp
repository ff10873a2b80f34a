#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/sendmail_args.h"

using namespace buzon::cli;
using Mode = SendmailOptions::Mode;
using V = std::vector<std::string>;

namespace {

SendmailOptions ok(V args, bool mailq = false) {
  auto o = parse_sendmail_args(args, mailq);
  INFO(args.size());
  REQUIRE(o);
  return std::move(*o);
}

std::string err(V args) {
  auto o = parse_sendmail_args(args, false);
  REQUIRE_FALSE(o);
  return o.error().message;
}

}  // namespace

TEST_CASE("sendmail args: defaults and recipients", "[sendmail_args]") {
  auto o = ok({"bob", "alice@example.test"});
  CHECK(o.mode == Mode::Deliver);
  CHECK_FALSE(o.extract_recipients);
  CHECK_FALSE(o.ignore_dots);
  CHECK_FALSE(o.sender);
  CHECK(o.recipients == V{"bob", "alice@example.test"});
  CHECK(ok({}).recipients.empty());
}

TEST_CASE("sendmail args: -t -i -oi, bundled", "[sendmail_args]") {
  auto o = ok({"-t", "-i"});
  CHECK(o.extract_recipients);
  CHECK(o.ignore_dots);
  auto b = ok({"-ti", "x"});
  CHECK(b.extract_recipients);
  CHECK(b.ignore_dots);
  CHECK(b.recipients == V{"x"});
  CHECK(ok({"-oi"}).ignore_dots);
  CHECK(ok({"-o", "i"}).ignore_dots);
  CHECK_FALSE(ok({"-om"}).ignore_dots);  // other -o options are ignored
  CHECK_FALSE(ok({"-oem"}).ignore_dots);
}

TEST_CASE("sendmail args: -f/-r sender, attached or separate", "[sendmail_args]") {
  CHECK(ok({"-f", "a@x"}).sender == "a@x");
  CHECK(ok({"-fa@x"}).sender == "a@x");
  CHECK(ok({"-r", "a@x"}).sender == "a@x");
  CHECK(ok({"-f", "<a@x>"}).sender == "a@x");
  CHECK(ok({"-f", "<>"}).sender == "");
  CHECK(ok({"-f", ""}).sender == "");
  CHECK(ok({"-tf", "a@x", "b"}).recipients == V{"b"});
  CHECK(err({"-f"}) == "option requires an argument: -f");
  CHECK(err({"-f", "a@x\r\nRCPT TO:<evil@y>"}).find("control characters") != std::string::npos);
}

TEST_CASE("sendmail args: -F full name, -C config", "[sendmail_args]") {
  auto o = ok({"-F", "List Robot", "-C", "/tmp/inst", "bob"});
  CHECK(o.full_name == "List Robot");
  CHECK(o.config == "/tmp/inst");
  CHECK(o.recipients == V{"bob"});
  CHECK(err({"-F", "Evil\nBcc: x@y"}).find("control characters") != std::string::npos);
}

TEST_CASE("sendmail args: modes -bm -bp -bs -q, and mailq", "[sendmail_args]") {
  CHECK(ok({"-bm"}).mode == Mode::Deliver);
  CHECK(ok({"-bp"}).mode == Mode::ListQueue);
  CHECK(ok({"-b", "s"}).mode == Mode::Smtp);
  CHECK(ok({"-q"}).mode == Mode::Flush);
  CHECK(ok({"-q30m"}).mode == Mode::Deliver);  // interval: ignored like Postfix
  CHECK(ok({}, /*mailq=*/true).mode == Mode::ListQueue);
  CHECK(ok({"-v"}, /*mailq=*/true).mode == Mode::ListQueue);
  CHECK(err({"-bd"}) == "unsupported mode: -bd");
  CHECK(ok({"-bi"}).mode == Mode::NewAliases);
  CHECK(ok({"-I"}).mode == Mode::NewAliases);
  CHECK(parse_sendmail_args(V{}, false, /*as_newaliases=*/true)->mode == Mode::NewAliases);
  CHECK(err({"-qRexample.org"}).find("per-site flush") != std::string::npos);
  CHECK(err({"-qx"}) == "bad option: -qx");
}

TEST_CASE("sendmail args: DSN options are validated (RFC 3461)", "[sendmail_args]") {
  CHECK(ok({"-N", "success,delay"}).dsn_notify == "success,delay");
  CHECK(ok({"-N", "never"}).dsn_notify == "never");
  CHECK(ok({"-N", "FAILURE"}).dsn_notify == "FAILURE");
  CHECK(err({"-N", "never,success"}).find("bad DSN notification") != std::string::npos);
  CHECK(err({"-N", "sometimes"}).find("bad DSN notification") != std::string::npos);
  CHECK(err({"-N", ","}).find("bad DSN notification") != std::string::npos);
  CHECK(ok({"-R", "hdrs"}).dsn_ret == "hdrs");
  CHECK(err({"-R", "body"}).find("bad DSN return type") != std::string::npos);
  CHECK(ok({"-V", std::string(100, 'e')}).envid.size() == 100);
  CHECK(err({"-V", std::string(101, 'e')}) == "-V: bad envelope ID");
}

TEST_CASE("sendmail args: ignored options and their values", "[sendmail_args]") {
  auto o = ok({"-v", "-U", "-m", "-n", "-x", "-c", "-G", "-B", "8BITMIME", "-h", "5", "-L", "label", "-O",
               "x=y", "-X", "/tmp/log", "-p", "smtp", "-e", "m", "bob"});
  CHECK(o.recipients == V{"bob"});
}

TEST_CASE("sendmail args: options end at the first recipient or --", "[sendmail_args]") {
  CHECK(ok({"bob", "-t"}).recipients == V{"bob", "-t"});
  CHECK_FALSE(ok({"bob", "-t"}).extract_recipients);
  CHECK(ok({"--", "-weird"}).recipients == V{"-weird"});
  CHECK(ok({"-", "x"}).recipients == V{"-", "x"});
}

TEST_CASE("sendmail args: unknown options are errors", "[sendmail_args]") {
  CHECK(err({"-k"}) == "invalid option: -k");
  CHECK(err({"-tk"}) == "invalid option: -k");
}
