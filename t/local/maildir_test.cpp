#include "local/maildir.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "t/local/test_util.h"

using namespace buzon;
using namespace buzon::test;

namespace {

local::MaildirOptions options(unsigned long counter = 1) {
  local::MaildirOptions o;
  o.hostname = "mx.example.test";
  o.counter = counter;
  return o;
}

}  // namespace

TEST_CASE("maildir: names carry host escapes, queue id, recipient and size", "[local][maildir]") {
  CHECK(local::maildir_host("a/b:c.example") == "a\\057b\\072c.example");
  timeval tv{1700000000, 42};
  CHECK(local::maildir_tmp_name(tv, 123, 7, "mx") == "1700000000.M42P123Q7.mx");
  local::Message m;
  m.queue_id = "4C1F2A3B0001A2B3C";
  m.recipient_offset = 88;
  m.arrival_sec = 1700000000;
  m.arrival_usec = 5;
  CHECK(local::maildir_name(m, "mx/1", 2048) == "1700000000.M5Q4C1F2A3B0001A2B3CR88.mx\\0571,S=2048");
}

TEST_CASE("maildir: delivery creates the maildir and moves tmp to new", "[local][maildir]") {
  QueueDir d;
  std::string md = d.path + "/home/bob/Maildir/";
  auto q = queue_message(d.queue(), "alice@example.test", {"bob@example.test", "bob+x@example.test"},
                         "Subject: hi\n\nFrom here\nno final newline");
  auto r = local::deliver_maildir(md, options(), q.message(0));
  CHECK(r.status == 0);
  CHECK(r.dsn == "2.0.0");
  CHECK(r.reason == "delivered to maildir");
  for (const char* sub : {"", "cur", "new", "tmp"}) {
    struct stat st;
    REQUIRE(::stat((md + sub).c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 0777) == 0700);
  }
  CHECK(list_dir(md + "tmp").empty());
  CHECK(list_dir(md + "cur").empty());
  auto names = list_dir(md + "new");
  REQUIRE(names.size() == 1);
  std::string text = slurp(md + "new/" + names[0]);
  // No From line and no quoting in Maildir; a final newline is added.
  CHECK(text == "Return-Path: <alice@example.test>\nDelivered-To: bob@example.test\n"
                "Subject: hi\n\nFrom here\nno final newline\n");
  auto s_at = names[0].rfind(",S=");
  REQUIRE(s_at != std::string::npos);
  CHECK(names[0].substr(s_at + 3) == std::to_string(text.size()));
  CHECK(names[0] == local::maildir_name(q.message(0), "mx.example.test", text.size()));
  struct stat st;
  REQUIRE(::stat((md + "new/" + names[0]).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // A second recipient of the same message is a second file.
  REQUIRE(local::deliver_maildir(md, options(2), q.message(1)).status == 0);
  CHECK(list_dir(md + "new").size() == 2);
}

TEST_CASE("maildir: a repeated request does not make a second copy", "[local][maildir]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  REQUIRE(local::deliver_maildir(md, options(1), q.message()).status == 0);
  auto again = local::deliver_maildir(md, options(2), q.message());
  CHECK(again.status == 0);
  CHECK(list_dir(md + "new").size() == 1);
  CHECK(list_dir(md + "tmp").empty());
}

TEST_CASE("maildir: names are unique across concurrent processes", "[local][maildir]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  constexpr int kProcs = 8, kEach = 5;
  std::vector<QueuedMessage> msgs;
  for (int i = 0; i < kProcs * kEach; ++i)
    msgs.push_back(queue_message(d.queue(), "a@example.test", {"b@example.test"}, "n " + std::to_string(i) + "\n"));
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int bad = 0;
      for (int i = 0; i < kEach; ++i)
        if (local::deliver_maildir(md, options(i), msgs[p * kEach + i].message()).status != 0) ++bad;
      ::_exit(bad);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto names = list_dir(md + "new");
  CHECK(names.size() == kProcs * kEach);
  std::set<std::string> bodies;
  for (const auto& n : names) bodies.insert(slurp(md + "new/" + n));
  CHECK(bodies.size() == kProcs * kEach);
  CHECK(list_dir(md + "tmp").empty());
}

TEST_CASE("maildir: mailbox_size_limit per file, at the limit and one over", "[local][maildir][limits]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "Subject: s\n\nbody\n");
  auto size = local::delivered_size(q.message());
  REQUIRE(size.ok());
  auto o = options();
  o.size_limit = *size - 1;
  auto over = local::deliver_maildir(md, o, q.message());
  CHECK(over.status == 5);
  CHECK(over.dsn == "5.2.2");
  CHECK(list_dir(md + "new").empty());
  o.size_limit = *size;
  CHECK(local::deliver_maildir(md, o, q.message()).status == 0);
  CHECK(list_dir(md + "new").size() == 1);
}

TEST_CASE("maildir: a file where a maildir directory should be defers", "[local][maildir]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  REQUIRE(::mkdir(md.c_str(), 0700) == 0);
  spew(md + "new", "not a directory");
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  auto r = local::deliver_maildir(md, options(), q.message());
  CHECK(r.status == 4);
  CHECK(list_dir(md + "tmp").empty());
}

TEST_CASE("maildir: mailbox_size_limit is per message file, as Postfix's; the messages there do not count",
          "[local][maildir][limits]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test", "c@example.test", "e@example.test"},
                         "Subject: s\n\nbody\n");
  auto size = local::delivered_size(q.message(0));
  REQUIRE(size.ok());
  auto o = options();
  o.size_limit = *size;
  REQUIRE(local::deliver_maildir(md, o, q.message(0)).status == 0);
  // Far more than the limit filed already, in the Maildir and a folder.
  REQUIRE(file::make_dirs(md + ".Lists/cur", 0700));
  spew(md + ".Lists/cur/1.M1.host,S=" + std::to_string(10 * *size) + ":2,S", std::string(10 * *size, 'x'));
  spew(md + "cur/1.M2.host,S=" + std::to_string(10 * *size) + ":2,S", std::string(10 * *size, 'x'));
  CHECK(local::deliver_maildir(md, o, q.message(1)).status == 0);
  CHECK(list_dir(md + "new").size() == 2);
}

TEST_CASE("maildir: missing parts of an existing Maildir are made again", "[local][maildir]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test", "c@example.test"}, "x\n");
  REQUIRE(local::deliver_maildir(md, options(), q.message(0)).status == 0);
  SECTION("new/") {
    REQUIRE(std::filesystem::remove_all(md + "new") > 0);
    CHECK(local::deliver_maildir(md, options(), q.message(1)).status == 0);
    CHECK(list_dir(md + "new").size() == 1);
  }
  SECTION("tmp/") {
    REQUIRE(::rmdir((md + "tmp").c_str()) == 0);
    CHECK(local::deliver_maildir(md, options(), q.message(1)).status == 0);
    CHECK(list_dir(md + "new").size() == 2);
  }
  CHECK(list_dir(md + "tmp").empty());
}

TEST_CASE("maildir: a Maildir++ folder gets its marker and counts for its Maildir", "[local][maildir]") {
  QueueDir d;
  std::string md = d.path + "/Maildir/";
  std::string folder = md + ".Lists/";
  CHECK(local::maildir_folder_root(folder) == md);
  CHECK(local::maildir_folder_root(md) == md);
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  REQUIRE(local::deliver_maildir(folder, options(), q.message()).status == 0);
  CHECK(exists(folder + "maildirfolder"));
  CHECK(list_dir(folder + "new").size() == 1);
  CHECK(!exists(md + "maildirfolder"));
}
