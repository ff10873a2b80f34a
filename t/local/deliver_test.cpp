// End-to-end tests of one delivery request: queue file -> user lookup ->
// mailbox, in the mode the test runs in (as root: a child that drops to an
// unprivileged uid, as in system mode; otherwise in-process, as in instance
// mode).
#include "local/deliver.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include "lib/event/async_fsync.h"
#include "lib/event/event.h"
#include "lib/privilege/privilege.h"
#include "local/session.h"
#include "t/local/deliver_env.h"

using namespace buzon;
using namespace buzon::test;


TEST_CASE("deliver: spool mbox delivery as the recipient", "[local][deliver]") {
  Env e;
  auto q = queue_message(e.d.queue(), "alice@example.test", {"Bob@example.test"}, "Subject: t\n\nhello\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  CHECK(r.status == 0);
  CHECK(r.dsn == "2.0.0");
  CHECK(r.reason == "delivered to mailbox");
  std::string mbox = e.d.path + "/mail/bob";
  std::string text = slurp(mbox);
  CHECK(text.rfind("From alice@example.test ", 0) == 0);
  CHECK(text.find("\nReturn-Path: <alice@example.test>\nDelivered-To: Bob@example.test\nSubject: t\n\nhello\n\n") !=
        std::string::npos);
  struct stat st;
  REQUIRE(::stat(mbox.c_str(), &st) == 0);
  CHECK(st.st_uid == user_uid());  // written with the recipient's rights
}

TEST_CASE("deliver: unknown users bounce with 5.1.1", "[local][deliver]") {
  Env e;
  auto q = queue_message(e.d.queue(), "alice@example.test", {"Mallory@example.test", "../bob@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q, 0));
  CHECK(r.status == 5);
  CHECK(r.dsn == "5.1.1");
  CHECK(r.reason == "unknown user: \"mallory\"");
  auto r2 = d.deliver(request_for(q, 1));
  CHECK(r2.status == 5);
  CHECK(list_dir(e.d.path + "/mail").empty());
}

TEST_CASE("deliver: recipient_delimiter extensions reach the user", "[local][deliver]") {
  Env e("recipient_delimiter = +\n");
  auto q = queue_message(e.d.queue(), "alice@example.test", {"bob+lists@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  CHECK(r.status == 0);
  CHECK(slurp(e.d.path + "/mail/bob").find("Delivered-To: bob+lists@example.test\n") != std::string::npos);
}

TEST_CASE("deliver: the request must match the queue file", "[local][deliver]") {
  Env e;
  auto q = queue_message(e.d.queue(), "alice@example.test", {"bob@example.test", "carol@example.test"}, "x\n");
  auto d = e.deliverer();
  auto wrong_offset = request_for(q, 0);
  wrong_offset.offset += 1;
  CHECK(d.deliver(wrong_offset).status == 4);
  auto wrong_rcpt = request_for(q, 0);
  wrong_rcpt.recipient = "carol@example.test";  // carol's name at bob's offset
  CHECK(d.deliver(wrong_rcpt).status == 4);
  auto wrong_dir = request_for(q, 0);
  wrong_dir.queue_file = "deferred/" + q.id;  // the file is in active/
  auto r = d.deliver(wrong_dir);
  CHECK(r.status == 4);
  CHECK_FALSE(r.warning.empty());
  CHECK(list_dir(e.d.path + "/mail").empty());
}

TEST_CASE("deliver: a recipient already marked done is not delivered again", "[local][deliver]") {
  Env e;
  auto q = queue_message(e.d.queue(), "alice@example.test", {"bob@example.test"}, "x\n");
  {
    Fd rw(::open(q.path.c_str(), O_RDWR));
    REQUIRE(queue::mark_done(rw.get(), q.env.recipients[0].offset));
  }
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  CHECK(r.status == 0);
  CHECK(!exists(e.d.path + "/mail/bob"));
}

TEST_CASE("deliver: message_size_limit at the limit and one over", "[local][deliver][limits]") {
  std::string content = "Subject: size\n\n0123456789\n";
  {
    Env e("message_size_limit = " + std::to_string(content.size()) + "\n");
    auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, content);
    auto d = e.deliverer();
    CHECK(d.deliver(request_for(q)).status == 0);
  }
  {
    Env e("message_size_limit = " + std::to_string(content.size() - 1) + "\n");
    auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, content);
    auto d = e.deliverer();
    auto r = d.deliver(request_for(q));
    CHECK(r.status == 5);
    CHECK(r.dsn == "5.2.3");
    CHECK(!exists(e.d.path + "/mail/bob"));
  }
}

TEST_CASE("deliver: home_mailbox selects Maildir or a home mbox", "[local][deliver]") {
  {
    Env e("home_mailbox = Maildir/\n");
    auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, "Subject: md\n\nx\n");
    auto d = e.deliverer();
    auto r = d.deliver(request_for(q));
    INFO(r.reason << " / " << r.warning);
    CHECK(r.status == 0);
    CHECK(r.reason == "delivered to maildir");
    auto names = list_dir(e.d.path + "/home/bob/Maildir/new");
    REQUIRE(names.size() == 1);
    struct stat st;
    REQUIRE(::stat((e.d.path + "/home/bob/Maildir/new/" + names[0]).c_str(), &st) == 0);
    CHECK(st.st_uid == user_uid());
    CHECK(names[0].find(",S=" + std::to_string(st.st_size)) != std::string::npos);
  }
  {
    Env e("home_mailbox = Mailbox\n");
    auto q = queue_message(e.d.queue(), "a@example.test", {"carol@example.test"}, "x\n");
    auto d = e.deliverer();
    auto r = d.deliver(request_for(q));
    CHECK(r.status == 0);
    CHECK(r.reason == "delivered to mailbox");
    CHECK(slurp(e.d.path + "/home/carol/Mailbox").rfind("From a@example.test ", 0) == 0);
    CHECK(!exists(e.d.path + "/mail/carol"));
  }
}

TEST_CASE("deliver: an unreadable passwd file defers", "[local][deliver]") {
  Env e;
  ::unlink((e.d.path + "/passwd").c_str());
  auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q));
  CHECK(r.status == 4);
  CHECK_FALSE(r.warning.empty());
}

TEST_CASE("deliver: system mode never writes as root", "[local][deliver][root]") {
  if (!root()) return;  // instance mode has no other user to become
  Env e("home_mailbox = Maildir/\n");
  auto q = queue_message(e.d.queue(), "a@example.test", {"toor@example.test", "bob@example.test"}, "x\n");
  auto d = e.deliverer();
  auto r = d.deliver(request_for(q, 0));  // uid 0 in the passwd file
  CHECK(r.status == 4);
  CHECK(!exists(e.d.path + "/home/toor/Maildir"));
  // bob's home belongs to root: the child, running as bob, cannot create
  // the Maildir there, which proves it is not root.
  REQUIRE(::chown((e.d.path + "/home/bob").c_str(), 0, 0) == 0);
  auto r2 = d.deliver(request_for(q, 1));
  CHECK(r2.status == 4);
  CHECK(!exists(e.d.path + "/home/bob/Maildir"));
}

TEST_CASE("deliver: mailbox_delivery_lock selects the locks", "[local][deliver]") {
  Env e("mailbox_delivery_lock = flock\n");
  auto s = local::Settings::from(e.cf);
  REQUIRE(s.ok());
  CHECK(s->mbox.flock_lock);
  CHECK_FALSE(s->mbox.fcntl_lock);
  CHECK_FALSE(s->mbox.dotlock);
  Env dflt;
  auto d = local::Settings::from(dflt.cf);
  REQUIRE(d.ok());
  CHECK(d->mbox.fcntl_lock);
  CHECK(d->mbox.dotlock);
  CHECK_FALSE(d->mbox.flock_lock);
}

TEST_CASE("deliver: a malformed request is answered with a temporary failure", "[local][deliver]") {
  Env e;
  auto d = e.deliverer();
  attr::Message m;
  m.set("request", "deliver").set("queue_id", "../../etc/passwd");
  auto r = local::handle_request(d, m);
  CHECK(r.status == 4);
  CHECK(r.reason == "malformed delivery request");
}

namespace {

// A delivery request as qmgr writes it.
std::string wire_request(const local::Request& req) {
  attr::Message m;
  m.set("request", "deliver").set("queue_id", req.queue_id).set("queue_file", req.queue_file);
  m.set("offset", static_cast<long long>(req.offset)).set("recipient", req.recipient).set("sender", req.sender);
  return m.encode();
}

// Everything a session wrote until it closed the connection, to be split
// into replies.
attr::Reader replies_until_close(int fd) {
  attr::Reader in;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) in.feed(std::string_view(buf, static_cast<size_t>(n)));
  CHECK(n == 0);
  return in;
}

// What a session test needs: a Maildir user, a Deliverer, a connection
// (ours to write requests, theirs for the Session), a loop and an
// AsyncFsync.
struct SessionRig {
  Env e{"home_mailbox = Maildir/\n"};
  local::Deliverer d = e.deliverer();
  Fd ours, theirs;
  event::Loop loop;
  event::AsyncFsync fsync{loop};
  SessionRig() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    ours = Fd(sv[0]);
    theirs = Fd(sv[1]);
  }
  local::SyncFailed sync_failed() {
    return [this](const local::UnsyncedFile& f, int err) { return d.sync_failed(f, err); };
  }
};

}  // namespace

// Both ways a Session runs: fsyncs inline (one delivery per process) and
// through an AsyncFsync (local_process_client_limit above 1), where the
// first reply waits for its Maildir fsync and the second request, already
// read, must still be answered after it.
TEST_CASE("deliver: a session answers requests in order and closes on bad framing", "[local][session]") {
  bool async = GENERATE(false, true);
  SessionRig rig;
  auto q = queue_message(rig.e.d.queue(), "a@example.test", {"bob@example.test", "nobody@example.test"}, "x\n");
  bool done = false;
  size_t left_unsynced = 0;
  std::unique_ptr<local::Session> s = std::make_unique<local::Session>(
      rig.loop, std::move(rig.theirs),
      [&](const local::Request& req, std::vector<local::UnsyncedFile>* unsynced) {
        auto r = rig.d.deliver(req, unsynced);
        if (unsynced) left_unsynced += unsynced->size();
        return r;
      },
      std::chrono::milliseconds(5000),
      [&] {
        done = true;
        rig.loop.stop();
      },
      async ? &rig.fsync : nullptr, rig.sync_failed());
  std::string wire = wire_request(request_for(q, 0)) + wire_request(request_for(q, 1));
  wire += std::string("\xff\xff\xff\xff", 4);  // a frame far over kMessageMax
  REQUIRE(::write(rig.ours.get(), wire.data(), wire.size()) == static_cast<ssize_t>(wire.size()));
  rig.loop.run();
  CHECK(done);
  attr::Reader in = replies_until_close(rig.ours.get());  // closed after the bad frame
  auto r1 = in.next();
  REQUIRE(r1);
  REQUIRE(r1->ok());
  CHECK((*r1)->get("status") == "0");
  auto r2 = in.next();
  REQUIRE(r2);
  REQUIRE(r2->ok());
  CHECK((*r2)->get("status") == "5");
  CHECK((*r2)->get("dsn") == "5.1.1");
  CHECK_FALSE(in.next().has_value());
  CHECK(left_unsynced == (async ? 1u : 0u));
  CHECK(list_dir(rig.e.d.path + "/home/bob/Maildir/new").size() == 1);
}

TEST_CASE("deliver: a failed fsync takes the Maildir file back and defers", "[local][session]") {
  Env e("home_mailbox = Maildir/\n");
  auto q = queue_message(e.d.queue(), "a@example.test", {"bob@example.test"}, "x\n");
  auto d = e.deliverer();
  // A real delivery whose file is left unsynced, then a failure reported
  // for it (a disk error cannot be made on demand here).
  std::vector<local::UnsyncedFile> files;
  auto r = d.deliver(request_for(q), &files);
  CHECK(r.status == 0);
  REQUIRE(files.size() == 1);
  std::string md = e.d.path + "/home/bob/Maildir/";
  CHECK(list_dir(md + "new").size() == 1);
  auto failed = d.sync_failed(files[0], EIO);
  CHECK(failed.status == 4);
  CHECK(failed.dsn == "4.2.0");
  CHECK(list_dir(md + "new").empty());  // qmgr's retry will not make a duplicate
  CHECK(d.sync_failed(files[0], EDQUOT).dsn == "4.2.2");
}

TEST_CASE("deliver: a session replies with the failure of an fsync that fails", "[local][session]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  Fd ours(sv[0]);
  event::Loop loop;
  event::AsyncFsync fsync(loop);
  int failures = 0;
  std::unique_ptr<local::Session> s = std::make_unique<local::Session>(
      loop, Fd(sv[1]),
      [](const local::Request&, std::vector<local::UnsyncedFile>* unsynced) {
        // A pipe cannot be fsync'ed (EINVAL): a real failure from the kernel.
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        ::close(p[0]);
        unsynced->push_back(local::UnsyncedFile{Fd(p[1]), "/nonexistent/new/x", "/nonexistent/", 0, 0});
        return local::Reply::sent("delivered to maildir");
      },
      std::chrono::milliseconds(5000), [&] { loop.stop(); }, &fsync,
      [&](const local::UnsyncedFile& f, int err) {
        ++failures;
        CHECK(err == EINVAL);
        CHECK(f.path == "/nonexistent/new/x");
        return local::Reply::defer("4.2.0", "cannot deliver to maildir");
      });
  std::string wire = wire_request(
      {"6B0D05EC3AA150FDA", "active/6B0D05EC3AA150FDA", 153, "bob@example.test", "", "a@example.test"});
  REQUIRE(::write(ours.get(), wire.data(), wire.size()) == static_cast<ssize_t>(wire.size()));
  ::shutdown(ours.get(), SHUT_WR);  // the session closes after its reply
  loop.run();
  CHECK(failures == 1);
  attr::Reader in = replies_until_close(ours.get());
  auto r = in.next();
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK((*r)->get("status") == "4");
  CHECK((*r)->get("dsn") == "4.2.0");
}

TEST_CASE("deliver: a session told to close while its delivery syncs answers it first", "[local][session]") {
  SessionRig rig;
  auto q = queue_message(rig.e.d.queue(), "a@example.test", {"bob@example.test"}, "x\n");
  std::unique_ptr<local::Session> s;
  bool done = false;
  s = std::make_unique<local::Session>(
      rig.loop, std::move(rig.theirs),
      [&](const local::Request& req, std::vector<local::UnsyncedFile>* unsynced) {
        auto r = rig.d.deliver(req, unsynced);
        // As a stop or reload would, once the fsync is under way.
        rig.loop.defer([&] { s->close(); });
        return r;
      },
      std::chrono::milliseconds(5000),
      [&] {
        done = true;
        rig.loop.stop();
      },
      &rig.fsync, rig.sync_failed());
  std::string wire = wire_request(request_for(q, 0));
  REQUIRE(::write(rig.ours.get(), wire.data(), wire.size()) == static_cast<ssize_t>(wire.size()));
  rig.loop.run();
  CHECK(done);
  attr::Reader in = replies_until_close(rig.ours.get());  // closed after the reply
  auto r = in.next();
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK((*r)->get("status") == "0");
  CHECK(list_dir(rig.e.d.path + "/home/bob/Maildir/new").size() == 1);
}
