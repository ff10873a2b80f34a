#include "local/request.h"

#include <catch2/catch.hpp>

#include "local/from_quote.h"
#include "local/reply.h"
#include "local/target.h"

using namespace buzon;
using local::parse_request;

namespace {

const char* kId = "4C1F2A3B0001A2B3C";

attr::Message good() {
  attr::Message m;
  m.set("request", "deliver")
      .set("queue_id", kId)
      .set("queue_file", std::string("active/") + kId)
      .set("offset", 42)
      .set("recipient", "bob@example.test")
      .set("original_recipient", "Bob@Example.Test")
      .set("sender", "alice@example.test");
  return m;
}

attr::Message with(std::string_view name, std::string_view value) {
  attr::Message m, g = good();
  for (const auto& [k, v] : g.pairs())
    if (k != name) m.set(k, v);
  m.set(name, value);
  return m;
}

attr::Message without(std::string_view name) {
  attr::Message m, g = good();
  for (const auto& [k, v] : g.pairs())
    if (k != name) m.set(k, v);
  return m;
}

std::string quote(const std::vector<std::string>& chunks) {
  local::FromQuoter q;
  std::string out;
  for (const auto& c : chunks) q.feed(c, out);
  q.finish(out);
  return out;
}

}  // namespace

TEST_CASE("request: a well-formed request parses", "[local][request]") {
  auto r = parse_request(good());
  REQUIRE(r.ok());
  CHECK(r->queue_id == kId);
  CHECK(r->queue_file == std::string("active/") + kId);
  CHECK(r->offset == 42);
  CHECK(r->recipient == "bob@example.test");
  CHECK(r->original_recipient == "Bob@Example.Test");
  CHECK(r->sender == "alice@example.test");
  auto d = parse_request(with("queue_file", std::string("deferred/") + kId));
  CHECK(d.ok());
  auto null_sender = parse_request(with("sender", ""));
  REQUIRE(null_sender.ok());
  CHECK(null_sender->sender.empty());
}

TEST_CASE("request: bad queue ids are rejected", "[local][request]") {
  for (const char* id : {"", "4c1f2a3b0001a2b3c", "4C1F2A3B0001A2B3", "4C1F2A3B0001A2B3CD", "../../etc/passwd",
                         "4C1F2A3B0001A2B3G", "4C1F2A3B/001A2B3C"}) {
    INFO(id);
    auto m = with("queue_id", id);
    CHECK_FALSE(parse_request(m).ok());
  }
  CHECK_FALSE(parse_request(without("queue_id")).ok());
}

TEST_CASE("request: queue_file must be active/ID or deferred/ID of the same ID", "[local][request]") {
  std::string id = kId;
  for (const std::string& f : std::vector<std::string>{"incoming/" + id, "hold/" + id, "corrupt/" + id, "active/" + id + "/x", "active//" + id, "/active/" + id,
        "active/../active/" + id, std::string("/etc/passwd"), std::string("active/4C1F2A3B0001A2B3D"), "active/" + id + "\n", id,
        "deferred/../../" + id, "active/" + id.substr(0, 16), std::string("")}) {
    INFO(f);
    CHECK_FALSE(parse_request(with("queue_file", f)).ok());
  }
  CHECK_FALSE(parse_request(without("queue_file")).ok());
}

TEST_CASE("request: offset, recipient and request kind are checked", "[local][request]") {
  CHECK_FALSE(parse_request(with("offset", "0")).ok());
  CHECK_FALSE(parse_request(with("offset", "-1")).ok());
  CHECK_FALSE(parse_request(with("offset", "12x")).ok());
  CHECK_FALSE(parse_request(with("offset", "")).ok());
  CHECK_FALSE(parse_request(with("offset", "9999999999999999999")).ok());
  CHECK_FALSE(parse_request(without("offset")).ok());
  CHECK_FALSE(parse_request(with("recipient", "")).ok());
  CHECK_FALSE(parse_request(without("recipient")).ok());
  CHECK_FALSE(parse_request(with("request", "deliverx")).ok());
  CHECK_FALSE(parse_request(without("request")).ok());
  CHECK(parse_request(without("original_recipient")).ok());
}

TEST_CASE("request: user_of lower-cases and strips the extension", "[local][request]") {
  using local::user_of;
  CHECK(user_of("Bob@Example.Test", "") == "bob");
  CHECK(user_of("bob+lists@example.test", "+") == "bob");
  CHECK(user_of("bob+lists@example.test", "") == "bob+lists");
  CHECK(user_of("bob-a+b@example.test", "+-") == "bob");
  CHECK(user_of("+bob@example.test", "+") == "+bob");  // never an empty name
  CHECK(user_of("bob", "+") == "bob");
  CHECK(user_of("\"a@b\"@example.test", "") == "\"a@b\"");  // the last @ separates the domain
}

TEST_CASE("request: target follows home_mailbox like Postfix", "[local][target]") {
  users::User u{"bob", 1000, 1000, "/home/bob", "/bin/sh"};
  auto spool = local::target_for(u, "", "/var/mail/");
  REQUIRE(spool.ok());
  CHECK(spool->kind == local::Kind::Mbox);
  CHECK(spool->path == "/var/mail/bob");
  auto md = local::target_for(u, "Maildir/", "/var/mail");
  REQUIRE(md.ok());
  CHECK(md->kind == local::Kind::Maildir);
  CHECK(md->path == "/home/bob/Maildir/");
  auto file = local::target_for(u, "Mailbox", "/var/mail");
  REQUIRE(file.ok());
  CHECK(file->kind == local::Kind::Mbox);
  CHECK(file->path == "/home/bob/Mailbox");
  users::User homeless{"nohome", 1000, 1000, "", ""};
  CHECK_FALSE(local::target_for(homeless, "Maildir/", "/var/mail").ok());
  CHECK(local::target_for(homeless, "", "/var/mail").ok());
  for (const char* bad : {"..", ".", "a/b", ""}) {
    users::User b{bad, 1000, 1000, "/home/x", ""};
    CHECK_FALSE(local::target_for(b, "", "/var/mail").ok());
  }
}

TEST_CASE("request: the child reply round-trips and a malformed one defers", "[local][reply]") {
  local::Reply r = local::Reply::bounce("5.2.2", "mailbox full");
  r.warning = "something";
  auto back = local::from_child_message(local::to_child_message(r));
  CHECK(back.status == 5);
  CHECK(back.dsn == "5.2.2");
  CHECK(back.reason == "mailbox full");
  CHECK(back.warning == "something");
  CHECK_FALSE(local::to_message(r).get("warning").has_value());  // never sent to qmgr
  attr::Message bad;
  bad.set("status", "7").set("dsn", "2.0.0").set("reason", "x");
  CHECK(local::from_child_message(bad).status == 4);
  CHECK(local::from_child_message(attr::Message()).status == 4);
}

TEST_CASE("mbox quoting: only 'From ' at line start, across chunk boundaries", "[local][mbox]") {
  CHECK(quote({"From a\nxFrom b\n From c\nFrom\n>From d\nFrom: e\n"}) ==
        ">From a\nxFrom b\n From c\nFrom\n>From d\nFrom: e\n");
  CHECK(quote({"a\nFr", "om b\n"}) == "a\n>From b\n");
  CHECK(quote({"a\n", "F", "r", "o", "m", " ", "b\n"}) == "a\n>From b\n");
  CHECK(quote({"a\nFro", "g\n"}) == "a\nFrog\n");
  CHECK(quote({"a\nFrom"}) == "a\nFrom");  // held bytes come out at the end
  CHECK(quote({"From x"}) == ">From x");   // the very first line counts too
  CHECK(quote({"x\n", "From y\n"}) == "x\n>From y\n");
  CHECK(quote({}) == "");
}
