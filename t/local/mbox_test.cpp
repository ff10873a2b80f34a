#include "local/mbox.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "lib/mailbox/locks.h"
#include "t/local/test_util.h"

using namespace buzon;
using namespace buzon::test;

namespace {

local::MboxOptions fast_options() {
  local::MboxOptions o;
  o.lock.attempts = 3;
  o.lock.delay = std::chrono::milliseconds(5);
  o.lock.stale = std::chrono::seconds(300);
  return o;
}

constexpr time_t kWhen = 1700000000;

// The exact bytes one delivery appends.
std::string expected_entry(const std::string& sender, const std::string& rcpt, const std::string& quoted_body) {
  return local::from_line(sender, kWhen) + "Return-Path: <" + sender + ">\nDelivered-To: " + rcpt + "\n" +
         quoted_body + "\n";
}

}  // namespace

TEST_CASE("mbox: From line in asctime layout, MAILER-DAEMON for <>", "[local][mbox]") {
  std::string l = local::from_line("alice@example.test", kWhen);
  REQUIRE(l.size() > 30);
  CHECK(l.rfind("From alice@example.test ", 0) == 0);
  CHECK(l.back() == '\n');
  // "Www Mmm dd hh:mm:ss yyyy"
  std::string date = l.substr(std::string("From alice@example.test ").size());
  CHECK(date.size() == 25);
  CHECK(date.substr(20) == "2023\n");
  CHECK(local::from_line("", kWhen).rfind("From MAILER-DAEMON ", 0) == 0);
  CHECK(local::from_line("a b\n@x", kWhen).rfind("From a_b_@x ", 0) == 0);
}

TEST_CASE("mbox: delivery appends From line, headers, quoted body and a blank line", "[local][mbox]") {
  QueueDir d;
  std::string body = "Received: from x\nSubject: hi\n\nFrom the start\n>From quoted\nnot From here\nlast";
  auto q = queue_message(d.queue(), "alice@example.test", {"bob@example.test"}, body);
  std::string mbox = d.path + "/bob";
  auto r = local::deliver_mbox(mbox, fast_options(), q.message(), kWhen);
  CHECK(r.status == 0);
  CHECK(r.dsn == "2.0.0");
  CHECK(r.reason == "delivered to mailbox");
  std::string quoted = "Received: from x\nSubject: hi\n\n>From the start\n>From quoted\nnot From here\nlast\n";
  std::string one = expected_entry("alice@example.test", "bob@example.test", quoted);
  CHECK(slurp(mbox) == one);
  struct stat st;
  REQUIRE(::stat(mbox.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto q2 = queue_message(d.queue(), "", {"bob@example.test"}, "Subject: two\n\nbody\n");
  auto r2 = local::deliver_mbox(mbox, fast_options(), q2.message(), kWhen);
  CHECK(r2.status == 0);
  CHECK(slurp(mbox) == one + expected_entry("", "bob@example.test", "Subject: two\n\nbody\n"));
  CHECK(slurp(mbox).find("From MAILER-DAEMON ") == one.size());
  // No lock files are left behind.
  CHECK(list_dir(d.path) == std::vector<std::string>{"bob", "queue"});
}

TEST_CASE("mbox: 'From ' split across 64 KiB chunks is still quoted", "[local][mbox]") {
  QueueDir d;
  std::string body(local::kChunk - 3, 'x');
  body[body.size() - 1] = '\n';
  body += "From the boundary\nFrom again\n";  // "Fro" ends the first chunk
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, body);
  std::string mbox = d.path + "/b";
  REQUIRE(local::deliver_mbox(mbox, fast_options(), q.message(), kWhen).status == 0);
  std::string got = slurp(mbox);
  CHECK(got.find("\n>From the boundary\n>From again\n\n") != std::string::npos);
  CHECK(got.find("\nFrom the boundary") == std::string::npos);
}

TEST_CASE("mbox: mailbox_size_limit at the limit and one byte over", "[local][mbox][limits]") {
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "Subject: s\n\nFrom x\n");
  std::string entry = expected_entry("a@example.test", "b@example.test", "Subject: s\n\n>From x\n");
  std::string mbox = d.path + "/b";
  spew(mbox, "old\n");
  ::chmod(mbox.c_str(), 0600);
  auto o = fast_options();

  o.size_limit = 4 + entry.size() - 1;
  auto over = local::deliver_mbox(mbox, o, q.message(), kWhen);
  CHECK(over.status == 5);
  CHECK(over.dsn == "5.2.2");
  CHECK(over.reason == "mailbox full");
  CHECK(slurp(mbox) == "old\n");

  o.size_limit = 4 + entry.size();
  auto at = local::deliver_mbox(mbox, o, q.message(), kWhen);
  CHECK(at.status == 0);
  CHECK(slurp(mbox) == "old\n" + entry);
}

TEST_CASE("mbox: a write failure truncates back to the old size", "[local][mbox]") {
  QueueDir d;
  std::string body;
  for (int i = 0; i < 4000; ++i) body += "line " + std::to_string(i) + " of a long message\n";
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, body);
  std::string mbox = d.path + "/b";
  spew(mbox, std::string(1000, 'o'));
  ::chmod(mbox.c_str(), 0600);
  // RLIMIT_FSIZE makes the kernel refuse the write past 10,000 bytes
  // (EFBIG), as a full disk or quota would, in the middle of the message.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit rl{10000, 10000};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    auto r = local::deliver_mbox(mbox, fast_options(), q.message(), kWhen);
    ::_exit(r.status == 5 && r.dsn == "5.2.2" ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(size_of(mbox) == 1000);
  CHECK(!exists(mbox + ".lock"));
}

TEST_CASE("mbox: symlinks, hard links and non-files are refused", "[local][mbox]") {
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  std::string victim = d.path + "/victim";
  spew(victim, "secret\n");

  std::string sym = d.path + "/sym";
  REQUIRE(::symlink(victim.c_str(), sym.c_str()) == 0);
  auto r1 = local::deliver_mbox(sym, fast_options(), q.message(), kWhen);
  CHECK(r1.status == 4);
  CHECK_FALSE(r1.warning.empty());

  std::string dangling = d.path + "/dangling";
  REQUIRE(::symlink((d.path + "/nonexistent").c_str(), dangling.c_str()) == 0);
  CHECK(local::deliver_mbox(dangling, fast_options(), q.message(), kWhen).status == 4);
  CHECK(!exists(d.path + "/nonexistent"));

  std::string hard = d.path + "/hard";
  REQUIRE(::link(victim.c_str(), hard.c_str()) == 0);
  auto r2 = local::deliver_mbox(hard, fast_options(), q.message(), kWhen);
  CHECK(r2.status == 4);
  CHECK(r2.warning.find("link") != std::string::npos);

  std::string fifo = d.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(local::deliver_mbox(fifo, fast_options(), q.message(), kWhen).status == 4);

  CHECK(slurp(victim) == "secret\n");
}

TEST_CASE("mbox: a fresh dot-lock held by another makes delivery wait, then defer", "[local][mbox][lock]") {
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  std::string mbox = d.path + "/b";
  spew(mbox + ".lock", "");
  auto r = local::deliver_mbox(mbox, fast_options(), q.message(), kWhen);
  CHECK(r.status == 4);
  CHECK(r.dsn == "4.2.0");
  CHECK(!exists(mbox));
  CHECK(exists(mbox + ".lock"));  // someone else's lock is not ours to remove
  CHECK(list_dir(d.path) == std::vector<std::string>{"b.lock", "queue"});  // no temporary files left
}

TEST_CASE("mbox: a stale dot-lock is removed", "[local][mbox][lock]") {
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  std::string mbox = d.path + "/b";
  spew(mbox + ".lock", "");
  auto o = fast_options();
  timeval old[2] = {{::time(nullptr) - 301, 0}, {::time(nullptr) - 301, 0}};
  REQUIRE(::utimes((mbox + ".lock").c_str(), old) == 0);
  auto r = local::deliver_mbox(mbox, o, q.message(), kWhen);
  CHECK(r.status == 0);
  CHECK(r.warning.find("stale") != std::string::npos);
  CHECK(!exists(mbox + ".lock"));

  // 299 seconds old is not stale yet.
  spew(mbox + ".lock", "");
  timeval young[2] = {{::time(nullptr) - 299, 0}, {::time(nullptr) - 299, 0}};
  REQUIRE(::utimes((mbox + ".lock").c_str(), young) == 0);
  CHECK(local::deliver_mbox(mbox, o, q.message(), kWhen).status == 4);
}

TEST_CASE("mbox: the dot-lock exists during delivery and only then", "[local][mbox][lock]") {
  QueueDir d;
  std::string mbox = d.path + "/b";
  auto o = fast_options();
  {
    auto lock = mailbox::DotLock::acquire(mbox, o.lock);
    REQUIRE(lock.ok());
    CHECK(lock->held());
    CHECK(exists(mbox + ".lock"));
    auto again = mailbox::DotLock::acquire(mbox, o.lock);  // exclusive
    CHECK_FALSE(again.ok());
  }
  CHECK(!exists(mbox + ".lock"));
  CHECK(list_dir(d.path) == std::vector<std::string>{"queue"});
}

TEST_CASE("mbox: an fcntl lock held by another process defers delivery", "[local][mbox][lock]") {
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  std::string mbox = d.path + "/b";
  spew(mbox, "");
  ::chmod(mbox.c_str(), 0600);
  int ready[2], release[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(release) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(mbox.c_str(), O_RDWR);
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &fl) < 0) ::_exit(1);
    (void)!::write(ready[1], "x", 1);
    char c;
    (void)!::read(release[0], &c, 1);
    ::_exit(0);
  }
  char c;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  auto r = local::deliver_mbox(mbox, fast_options(), q.message(), kWhen);
  CHECK(r.status == 4);
  CHECK(size_of(mbox) == 0);
  CHECK(!exists(mbox + ".lock"));  // the dot-lock was released on the way out
  REQUIRE(::write(release[1], "x", 1) == 1);
  int status;
  ::waitpid(pid, &status, 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
  CHECK(local::deliver_mbox(mbox, fast_options(), q.message(), kWhen).status == 0);
}

TEST_CASE("mbox: a dot-lock the user may not create is skipped, not fatal", "[local][mbox][lock]") {
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  std::string spool = d.path + "/spool";
  REQUIRE(::mkdir(spool.c_str(), 0755) == 0);
  std::string mbox = spool + "/b";
  spew(mbox, "");
  ::chmod(mbox.c_str(), 0600);
  // A root-owned /var/mail: the user owns the mailbox but not the directory.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::geteuid() == 0) {
      if (::chown(mbox.c_str(), 65534, 65534) < 0 || ::setgid(65534) < 0 || ::setuid(65534) < 0) ::_exit(2);
    } else if (::chmod(spool.c_str(), 0555) < 0) {
      ::_exit(2);
    }
    auto r = local::deliver_mbox(mbox, fast_options(), q.message(), kWhen);
    ::_exit(r.status == 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  ::chmod(spool.c_str(), 0755);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(slurp(mbox).find("Delivered-To: b@example.test\n") != std::string::npos);
  CHECK(list_dir(spool) == std::vector<std::string>{"b"});
}

TEST_CASE("mbox: a mailbox owned by someone else is refused", "[local][mbox]") {
  if (::geteuid() != 0) return;  // only root can create such a file here
  QueueDir d;
  auto q = queue_message(d.queue(), "a@example.test", {"b@example.test"}, "x\n");
  std::string mbox = d.path + "/b";
  spew(mbox, "");
  REQUIRE(::chown(mbox.c_str(), 65534, 65534) == 0);
  auto r = local::deliver_mbox(mbox, fast_options(), q.message(), kWhen);
  CHECK(r.status == 4);
  CHECK(r.warning.find("owned by") != std::string::npos);
  CHECK(size_of(mbox) == 0);
}
