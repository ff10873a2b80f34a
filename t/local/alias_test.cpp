// Alias, .forward, :include:, command, file, luser_relay and
// mailbox_command delivery: Postfix local(8) semantics, end to end from a
// queue file (see t/local/deliver_env.h for the rights the test runs with).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "lib/map/map.h"
#include "t/local/deliver_env.h"

using namespace buzon;
using namespace buzon::test;

namespace {

// A folder every delivery identity may write (commands and files run as
// default_privs or the alias owner).
std::string shared_dir(const Env& e) {
  std::string p = e.d.path + "/out";
  REQUIRE(file::make_dirs(p, 0777));
  ::chmod(p.c_str(), 01777);
  return p;
}

std::string content_of(const QueueDir& d, const queue::Envelope& env) {
  std::string text = slurp(d.queue() + "/incoming/" + env.id);
  return text.substr(static_cast<size_t>(env.content_offset), env.content_size);
}

}  // namespace

TEST_CASE("alias: a list forwards in one new queue file", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\n");
  e.aliases("staff: bob, Carol@Example.Test, dave@elsewhere.test, bob\n");
  auto q = queue_message(e.d.queue(), "alice@example.test", {"Staff@example.test"}, "Subject: s\n\nhi\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  REQUIRE(r.status == 0);
  auto copies = incoming(e.d);
  REQUIRE(copies.size() == 1);
  CHECK(r.reason == "forwarded as " + copies[0].id);
  const auto& c = copies[0];
  CHECK(c.sender == "alice@example.test");
  REQUIRE(c.recipients.size() == 3);  // bob once
  CHECK(c.recipients[0].address == "bob@example.test");
  CHECK(c.recipients[1].address == "Carol@Example.Test");
  CHECK(c.recipients[2].address == "dave@elsewhere.test");
  CHECK(c.recipients[0].original == "Staff@example.test");
  CHECK(content_of(e.d, c) == "Delivered-To: Staff@example.test\nSubject: s\n\nhi\n");
  CHECK(list_dir(e.d.path + "/mail").empty());
}

TEST_CASE("alias: self reference reaches the mailbox, extension falls back", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\nrecipient_delimiter = +\n");
  e.aliases("bob: bob, carol\n");
  auto q = queue_message(e.d.queue(), "a@example.test", {"bob+tag@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  CHECK(slurp(e.d.path + "/mail/bob").find("Delivered-To: bob+tag@example.test\n") != std::string::npos);
  auto copies = incoming(e.d);
  REQUIRE(copies.size() == 1);
  CHECK(copies[0].recipients.at(0).address == "carol@example.test");
}

TEST_CASE("alias: owner-list becomes the sender, not for bounces", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\n");
  e.aliases("list: carol\nowner-list: bob\n");
  auto q = queue_message(e.d.queue(), "alice@example.test", {"list@example.test"}, "x\n");
  auto d = e.deliverer();
  REQUIRE(d.deliver(request_for(q)).status == 0);
  auto q2 = queue_message(e.d.queue(), "", {"list@example.test"}, "x\n");
  REQUIRE(d.deliver(request_for(q2)).status == 0);
  auto copies = incoming(e.d);
  REQUIRE(copies.size() == 2);
  std::vector<std::string> senders{copies[0].sender, copies[1].sender};
  std::sort(senders.begin(), senders.end());
  CHECK(senders == std::vector<std::string>{"", "owner-list@example.test"});
}

TEST_CASE("alias: a message that was delivered to the alias before is a loop", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\n");
  e.aliases("staff: carol\n");
  auto q = queue_message(e.d.queue(), "a@example.test", {"staff@example.test"},
                         "Delivered-To: staff@example.test\nSubject: again\n\nx\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  CHECK(r.status == 5);
  CHECK(r.dsn == "5.4.6");
  CHECK(r.reason == "mail forwarding loop for staff@example.test");
  CHECK(incoming(e.d).empty());
}

TEST_CASE("alias: commands and files, and their restrictions", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\n");
  std::string out = shared_dir(e);
  e.aliases("pipe: \"|cat > " + out + "/piped; echo $RECIPIENT >> " + out + "/piped\"\n" +
            "arch: " + out + "/archive\n" + "fail: \"|echo 5.2.2 nope; exit 1\"\n" +
            "later: \"|exit 75\"\n");
  auto q = queue_message(e.d.queue(), "a@example.test",
                         {"pipe@example.test", "arch@example.test", "fail@example.test", "later@example.test"},
                         "Subject: c\n\nbody\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q, 0));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  std::string piped = slurp(out + "/piped");
  CHECK(piped.rfind("From a@example.test ", 0) == 0);
  CHECK(piped.find("Subject: c\n\nbody\npipe@example.test\n") != std::string::npos);
  auto ra = d.deliver(request_for(q, 1));
  CHECK(ra.status == 0);
  CHECK(ra.reason == "delivered to file: " + out + "/archive");
  CHECK(slurp(out + "/archive").find("\nbody\n\n") != std::string::npos);
  struct stat st;
  REQUIRE(::stat((out + "/archive").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_uid == user_uid());  // the alias database owner, never root
  auto rf = d.deliver(request_for(q, 2));
  CHECK((rf.status == 5 && rf.dsn == "5.2.2"));
  CHECK(rf.reason.find("Command output: 5.2.2 nope") != std::string::npos);
  CHECK(d.deliver(request_for(q, 3)).status == 4);

  Env restricted("alias_maps = hash:$config_directory/aliases\nallow_mail_to_commands = forward\n"
                 "allow_mail_to_files = forward\n");
  restricted.aliases("pipe: \"|cat\"\narch: /tmp/x\n");
  auto q2 = queue_message(restricted.d.queue(), "a@example.test", {"pipe@example.test", "arch@example.test"}, "x\n");
  auto d2 = restricted.deliverer();
  auto rp = d2.deliver(request_for(q2, 0));
  CHECK((rp.status == 5 && rp.dsn == "5.7.1" && rp.reason == "mail to command is restricted"));
  CHECK(d2.deliver(request_for(q2, 1)).reason == "mail to file is restricted");
}

TEST_CASE("alias: :include: files, no commands in them by default", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\n");
  std::string out = shared_dir(e);
  spew(out + "/staff", "# the staff\nbob\ncarol, dave@elsewhere.test\n");
  spew(out + "/cmds", "\"|cat > /dev/null\"\n");
  ::chmod((out + "/staff").c_str(), 0644);
  ::chmod((out + "/cmds").c_str(), 0644);
  e.aliases("staff: :include:" + out + "/staff\ncmds: :include:" + out + "/cmds\nnone: :include:" + out +
            "/missing\n");
  auto q = queue_message(e.d.queue(), "a@example.test",
                         {"staff@example.test", "cmds@example.test", "none@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q, 0));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  auto copies = incoming(e.d);
  REQUIRE(copies.size() == 1);
  CHECK(copies[0].recipients.size() == 3);
  auto rc = d.deliver(request_for(q, 1));
  CHECK((rc.status == 5 && rc.reason == "mail to command is restricted"));
  CHECK(d.deliver(request_for(q, 2)).status == 4);
}

TEST_CASE("alias: an alias table that cannot be opened defers", "[local][alias]") {
  Env e("alias_maps = hash:$config_directory/aliases\n");
  auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  CHECK(r.status == 4);
  CHECK(r.reason == "alias database unavailable");
  CHECK(list_dir(e.d.path + "/mail").empty());
}

TEST_CASE("forward: ~/.forward with \\user, .forward+extension first", "[local][forward]") {
  Env e("recipient_delimiter = +\n");
  std::string home = e.d.path + "/home/bob";
  spew(home + "/.forward", "carol@example.test, \\bob\n");
  spew(home + "/.forward+lists", "dave@elsewhere.test\n");
  if (root()) {
    REQUIRE(::chown((home + "/.forward").c_str(), user_uid(), user_gid()) == 0);
    REQUIRE(::chown((home + "/.forward+lists").c_str(), user_uid(), user_gid()) == 0);
  }
  auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test", "bob+lists@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q, 0));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  CHECK(slurp(e.d.path + "/mail/bob").find("Delivered-To: bob@example.test\n") != std::string::npos);
  auto r2 = d.deliver(request_for(q, 1));
  CHECK(r2.status == 0);
  auto copies = incoming(e.d);
  REQUIRE(copies.size() == 2);
  std::vector<std::string> to{copies[0].recipients.at(0).address, copies[1].recipients.at(0).address};
  std::sort(to.begin(), to.end());
  CHECK(to == std::vector<std::string>{"carol@example.test", "dave@elsewhere.test"});
}

TEST_CASE("forward: a .forward owned by someone else is not used", "[local][forward]") {
  if (!root()) return;  // needs another owner
  Env e;
  std::string f = e.d.path + "/home/bob/.forward";
  spew(f, "carol@example.test\n");
  REQUIRE(::chown(f.c_str(), 1, 1) == 0);
  auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  CHECK(r.status == 4);
  CHECK(incoming(e.d).empty());
}

TEST_CASE("luser_relay takes mail for unknown users", "[local][alias]") {
  Env e("luser_relay = postmaster+$user@example.test\n");
  auto q = queue_message(e.d.queue(), "a@example.test", {"nosuch@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  auto copies = incoming(e.d);
  REQUIRE(copies.size() == 1);
  CHECK(copies[0].recipients.at(0).address == "postmaster+nosuch@example.test");
}

TEST_CASE("mailbox_command runs as the user with Postfix's environment", "[local][command]") {
  Env e("mailbox_command = " + std::string("env > $HOME/env.txt; cat > $HOME/msg.txt") + "\n");
  auto q = queue_message(e.d.queue(), "alice@example.test", {"bob@example.test"}, "Subject: p\n\nx\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  std::string home = e.d.path + "/home/bob";
  std::string env = slurp(home + "/env.txt");
  CHECK(env.find("RECIPIENT=bob@example.test\n") != std::string::npos);
  CHECK(env.find("SENDER=alice@example.test\n") != std::string::npos);
  CHECK(env.find("USER=bob\n") != std::string::npos);
  CHECK(env.find("HOME=" + home + "\n") != std::string::npos);
  CHECK(slurp(home + "/msg.txt").find("Subject: p\n\nx\n") != std::string::npos);
  struct stat st;
  REQUIRE(::stat((home + "/msg.txt").c_str(), &st) == 0);
  CHECK(st.st_uid == user_uid());
  CHECK(list_dir(e.d.path + "/mail").empty());
}
