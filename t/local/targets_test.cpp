// The pure pieces of alias and .forward processing: destination lists,
// $name expansion, the Delivered-To loop check and command outcomes.
#include <sys/wait.h>
#include <sysexits.h>

#include <catch2/catch.hpp>

#include "local/command.h"
#include "local/expand.h"
#include "local/loop.h"
#include "local/targets.h"
#include "t/local/test_util.h"

using namespace buzon;
using namespace buzon::local;
using K = TargetItem::Kind;

TEST_CASE("targets: kinds, quotes, brackets and separators", "[local][alias]") {
  auto t = parse_targets(
      "bob, <carol@example.org>,\"|/usr/bin/procmail -a x,y\" ,/var/log/mail.log, :include:/etc/staff\n"
      "\\alice,, \"john doe\"@example.org");
  REQUIRE(t);
  REQUIRE(t->size() == 7);
  CHECK(((*t)[0].kind == K::Address && (*t)[0].text == "bob"));
  CHECK(((*t)[1].kind == K::Address && (*t)[1].text == "carol@example.org"));
  CHECK(((*t)[2].kind == K::Command && (*t)[2].text == "/usr/bin/procmail -a x,y"));
  CHECK(((*t)[3].kind == K::File && (*t)[3].text == "/var/log/mail.log"));
  CHECK(((*t)[4].kind == K::Include && (*t)[4].text == "/etc/staff"));
  CHECK(((*t)[5].kind == K::Mailbox && (*t)[5].text == "alice"));
  CHECK(((*t)[6].kind == K::Address && (*t)[6].text == "\"john doe\"@example.org"));
}

TEST_CASE("targets: unbalanced quote and the list limit", "[local][alias][limits]") {
  CHECK_FALSE(parse_targets("\"|cmd, bob"));
  std::string at, over;
  for (size_t i = 0; i < kTargetsMax; ++i) at += "u,";
  over = at + "u";
  auto ok = parse_targets(at);
  REQUIRE(ok);
  CHECK(ok->size() == kTargetsMax);
  CHECK_FALSE(parse_targets(over));
}

TEST_CASE("targets: file text drops comments, lines separate", "[local][alias]") {
  auto t = parse_targets(list_from_file_text("# staff\nbob\n  carol, dave\n\n#x\n"));
  REQUIRE(t);
  CHECK(t->size() == 3);
}

TEST_CASE("expand: $name, ${name}, conditionals, undefined names", "[local][alias]") {
  Vars v{{"home", "/home/bob"}, {"extension", "lists"}, {"recipient_delimiter", "+"}, {"user", ""}};
  auto e = expand_vars("$home/.forward${recipient_delimiter}${extension}", v);
  CHECK(e.ok);
  CHECK_FALSE(e.used_undefined);
  CHECK(e.text == "/home/bob/.forward+lists");
  v["extension"] = "";
  e = expand_vars("$home/.forward${recipient_delimiter}${extension}", v);
  CHECK(e.used_undefined);
  e = expand_vars("${extension?+$extension}${extension:none}$$", v);
  CHECK_FALSE(e.used_undefined);
  CHECK(e.text == "none$");
  CHECK_FALSE(expand_vars("${home", v).ok);
  CHECK_FALSE(expand_vars("${}", v).ok);
  CHECK_FALSE(expand_vars(std::string(kExpandedMax + 1, 'x'), v).ok);
  CHECK(expand_vars(std::string(kExpandedMax, 'x'), v).ok);
}

TEST_CASE("loop: Delivered-To in the header only, any case", "[local][alias]") {
  std::string h = "Received: x\nDELIVERED-TO:  <Bob@Example.Test> \nSubject: s\n\nDelivered-To: carol@example.test\n";
  CHECK(header_has_delivered_to(h, "bob@example.test"));
  CHECK_FALSE(header_has_delivered_to(h, "carol@example.test"));
  CHECK_FALSE(header_has_delivered_to(h, "bob@example"));
}

TEST_CASE("loop: the check reads the queued content within the header limit", "[local][alias][limits]") {
  test::QueueDir d;
  std::string content = "Subject: s\nDelivered-To: bob@example.test\n\nbody\n";
  auto q = test::queue_message(d.queue(), "a@example.test", {"bob@example.test"}, content);
  Message m = q.message();
  CHECK(*has_delivered_to(m, "bob@example.test", 1000));
  // The header line ends after byte 43: a limit that cuts it off misses it.
  CHECK_FALSE(*has_delivered_to(m, "bob@example.test", 20));
}

TEST_CASE("command: exit codes map as sysexits(3) in Postfix", "[local][command]") {
  CHECK(command_reply("c", 0, false, "").status == 0);
  Reply t = command_reply("c", EX_TEMPFAIL << 8, false, "try later");
  CHECK(t.status == 4);
  CHECK(t.dsn == "4.3.0");
  CHECK(t.reason == "Command died with status 75: \"c\". Command output: try later");
  Reply u = command_reply("c", EX_NOUSER << 8, false, "");
  CHECK((u.status == 5 && u.dsn == "5.1.1"));
  Reply x = command_reply("c", 1 << 8, false, "5.2.2 over quota\n");
  CHECK((x.status == 5 && x.dsn == "5.2.2"));
  Reply s = command_reply("c", SIGKILL, false, "");
  CHECK(s.status == 4);
  Reply to = command_reply("c", SIGKILL, true, "");
  CHECK((to.status == 5 && to.reason.rfind("Command time limit exceeded", 0) == 0));
}

TEST_CASE("command: runs with the message on stdin and the environment", "[local][command]") {
  test::QueueDir d;
  auto q = test::queue_message(d.queue(), "alice@example.test", {"bob@example.test"}, "Subject: s\n\nbody\n");
  std::string out = d.path + "/out";
  CommandSpec spec;
  spec.command = "cat > " + out + "; echo \"$RECIPIENT $SENDER\" >> " + out;
  spec.env = {"PATH=/usr/bin:/bin", "RECIPIENT=bob@example.test", "SENDER=alice@example.test"};
  Reply r = run_command(spec, q.message(), 0);
  INFO(r.reason);
  CHECK(r.status == 0);
  std::string text = test::slurp(out);
  CHECK(text.rfind("From alice@example.test ", 0) == 0);
  CHECK(text.find("\nReturn-Path: <alice@example.test>\nDelivered-To: bob@example.test\nSubject: s\n\nbody\n"
                  "bob@example.test alice@example.test\n") != std::string::npos);
}

TEST_CASE("command: time limit kills the command, output is bounded", "[local][command][limits]") {
  test::QueueDir d;
  auto q = test::queue_message(d.queue(), "a@example.test", {"bob@example.test"}, "x\n");
  CommandSpec spec;
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.command = "sleep 30";
  spec.time_limit = std::chrono::seconds(1);
  auto t0 = std::chrono::steady_clock::now();
  Reply r = run_command(spec, q.message(), 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  CHECK(r.status == 5);
  CHECK(r.reason.find("time limit") != std::string::npos);
  spec.time_limit = std::chrono::seconds(20);
  spec.command = "head -c 100000 /dev/zero | tr '\\0' y; exit 67";
  r = run_command(spec, q.message(), 0);
  CHECK(r.status == 5);
  CHECK(r.dsn == "5.1.1");
  CHECK(r.reason.size() < kOutputMax + 200);
  // A command that does not read its input still reports its own status.
  spec.command = "exit 0";
  auto big = test::queue_message(d.queue(), "a@example.test", {"bob@example.test"}, std::string(1 << 20, 'x') + "\n");
  CHECK(run_command(spec, big.message(), 0).status == 0);
}
