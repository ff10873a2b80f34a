#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "t/lib/queue/temp_queue.h"

using namespace buzon;
using test::TempQueue;

namespace {

std::string write_one(const TempQueue& q, const std::string& content) {
  auto w = queue::Writer::create(q.dir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.test"));
  REQUIRE(w->attr("client_addr", "127.0.0.1"));
  REQUIRE(w->recipient("bob@example.test"));
  REQUIRE(w->recipient("carol@example.test", "list@example.test"));
  REQUIRE(w->begin_content());
  REQUIRE(w->append(content));
  REQUIRE(w->commit());
  return w->id();
}

}  // namespace

TEST_CASE("queue: ids are valid, unique and sort by time", "[queue]") {
  std::string a = queue::new_id(), b = queue::new_id();
  CHECK(queue::id_ok(a));
  CHECK(a != b);
  CHECK(a.substr(0, 8) <= b.substr(0, 8));
  CHECK_FALSE(queue::id_ok(""));
  CHECK_FALSE(queue::id_ok("../../etc/passwd"));
  CHECK_FALSE(queue::id_ok(a.substr(1)));
  CHECK_FALSE(queue::id_ok(a + "0"));
  CHECK_FALSE(queue::id_ok("0123456789abcdef0"));  // lower case is not ours
}

TEST_CASE("queue: a committed file reads back with envelope and content", "[queue]") {
  TempQueue q;
  std::string content = "Subject: hi\n\nbody\n";
  std::string id = write_one(q, content);
  CHECK(::access(queue::path(q.dir, "tmp", id).c_str(), F_OK) != 0);
  Fd fd(::open(queue::path(q.dir, "incoming", id).c_str(), O_RDWR));
  REQUIRE(fd);
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  CHECK(env->sender == "alice@example.test");
  CHECK(env->attr("client_addr") == "127.0.0.1");
  CHECK(env->attr("missing").empty());
  REQUIRE(env->recipients.size() == 2);
  CHECK(env->recipients[0].address == "bob@example.test");
  CHECK(env->recipients[0].original.empty());
  CHECK(env->recipients[1].original == "list@example.test");
  CHECK(env->content_size == content.size());
  std::string got(content.size(), '\0');
  REQUIRE(::pread(fd.get(), got.data(), got.size(), env->content_offset) == static_cast<ssize_t>(got.size()));
  CHECK(got == content);
  CHECK(env->arrival_sec > 0);

  SECTION("mark_done flips one recipient and survives a reread") {
    REQUIRE(queue::mark_done(fd.get(), env->recipients[1].offset));
    auto again = queue::read_envelope(fd.get(), id);
    REQUIRE(again);
    CHECK_FALSE(again->recipients[0].done);
    CHECK(again->recipients[1].done);
    CHECK_FALSE(queue::mark_done(fd.get(), env->content_offset));
  }
}

TEST_CASE("queue: DSN parameters are stored per recipient", "[queue][dsn]") {
  TempQueue q;
  auto w = queue::Writer::create(q.dir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.test"));
  REQUIRE(w->attr("dsn_envid", "QQ314159"));
  REQUIRE(w->attr("dsn_ret", "HDRS"));
  REQUIRE(w->recipient("bob@example.test", {}, {queue::kNotifySuccess | queue::kNotifyFailure, "rfc822;Bob@Example.test"}));
  REQUIRE(w->recipient("carol@example.test"));
  REQUIRE(w->recipient("dave@example.test", "list@example.test", {queue::kNotifyNever, ""}));
  REQUIRE(w->begin_content());
  REQUIRE(w->append("\n"));
  REQUIRE(w->commit());
  Fd fd(::open(queue::path(q.dir, "incoming", w->id()).c_str(), O_RDONLY));
  auto env = queue::read_envelope(fd.get(), w->id());
  REQUIRE(env);
  CHECK(env->attr("dsn_envid") == "QQ314159");
  CHECK(env->attr("dsn_ret") == "HDRS");
  REQUIRE(env->recipients.size() == 3);
  CHECK(env->recipients[0].dsn.notify == (queue::kNotifySuccess | queue::kNotifyFailure));
  CHECK(env->recipients[0].dsn.orcpt == "rfc822;Bob@Example.test");
  CHECK(env->recipients[1].dsn.notify == 0);  // N and P apply to one recipient only
  CHECK(env->recipients[1].dsn.orcpt.empty());
  CHECK(env->recipients[2].dsn.notify == queue::kNotifyNever);
  CHECK(env->recipients[2].original == "list@example.test");
}

TEST_CASE("queue: NOTIFY values parse per RFC 3461", "[queue][dsn]") {
  CHECK(queue::parse_notify("NEVER") == queue::kNotifyNever);
  CHECK(queue::parse_notify("success,Delay") == (queue::kNotifySuccess | queue::kNotifyDelay));
  CHECK(queue::parse_notify("FAILURE,SUCCESS,DELAY") ==
        (queue::kNotifySuccess | queue::kNotifyFailure | queue::kNotifyDelay));
  CHECK_FALSE(queue::parse_notify(""));
  CHECK_FALSE(queue::parse_notify("NEVER,SUCCESS"));
  CHECK_FALSE(queue::parse_notify("SUCCESS,SUCCESS"));
  CHECK_FALSE(queue::parse_notify("SOMETIMES"));
  CHECK(queue::format_notify(queue::kNotifyDelay | queue::kNotifySuccess) == "SUCCESS,DELAY");
  CHECK(queue::format_notify(queue::kNotifyNever) == "NEVER");
}

TEST_CASE("queue: large content streams through and reads back", "[queue]") {
  TempQueue q;
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); i += 80) big[i] = '\n';
  std::string id = write_one(q, big);
  Fd fd(::open(queue::path(q.dir, "incoming", id).c_str(), O_RDONLY));
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  CHECK(env->content_size == big.size());
}

TEST_CASE("queue: an uncommitted writer leaves nothing behind", "[queue]") {
  TempQueue q;
  std::string id;
  {
    auto w = queue::Writer::create(q.dir);
    REQUIRE(w);
    id = w->id();
    REQUIRE(w->sender(""));
    CHECK(::access(queue::path(q.dir, "tmp", id).c_str(), F_OK) == 0);
  }
  CHECK(::access(queue::path(q.dir, "tmp", id).c_str(), F_OK) != 0);
  CHECK(::access(queue::path(q.dir, "incoming", id).c_str(), F_OK) != 0);
}

TEST_CASE("queue: every truncation point is detected as corrupt", "[queue]") {
  TempQueue q;
  std::string id = write_one(q, "Subject: x\n\nhello\n");
  std::string p = queue::path(q.dir, "incoming", id);
  auto whole = file::read_file(p, 1 << 20);
  REQUIRE(whole);
  for (size_t len = 0; len < whole->size(); ++len) {
    std::string cut = q.dir + "/corrupt/cut";
    REQUIRE(file::write_atomic(cut, whole->substr(0, len), 0600));
    Fd fd(::open(cut.c_str(), O_RDONLY));
    auto env = queue::read_envelope(fd.get(), id);
    INFO("length " << len);
    REQUIRE_FALSE(env);
    CHECK(env.error().message.rfind("corrupt", 0) == 0);
  }
}

TEST_CASE("queue: malformed records are corrupt", "[queue]") {
  TempQueue q;
  auto check_bad = [&](const std::string& text) {
    std::string p = q.dir + "/corrupt/bad";
    REQUIRE(file::write_atomic(p, text, 0600));
    Fd fd(::open(p.c_str(), O_RDONLY));
    INFO(text);
    CHECK_FALSE(queue::read_envelope(fd.get(), "X"));
  };
  const std::string end = "E20:00000000000000000000\n";
  check_bad("V1:2\nS0:\nR1:a\nM0:\n" + end);   // unknown version
  check_bad("V1:1\nS0:\nR1:a\nZ0:\nM0:\n" + end);  // unknown record type
  check_bad("V1:1\nS0:\nR5:a\nM0:\n" + end);   // length past the record
  check_bad("V1:1\nS0:\nM0:\n" + end);         // no recipients
  check_bad("V1:1\nR1:a\nM0:\n" + end);        // no sender
  check_bad("V1:1\nS0:\nR1:a\nM0:\nxyz" + end);  // content size mismatch
  check_bad("V1:1\nS0:\nR1:a\nM0:\nE20:0000000000000000000x\n");
  check_bad("V1:1\nS0:\nS0:\nR1:a\nM0:\n" + end);  // two senders
  check_bad("V1:1\nS0:\nN5:MAYBE\nR1:a\nM0:\n" + end);  // bad NOTIFY
  // The well-formed minimum is accepted, so the cases above fail for their own reason.
  std::string p = q.dir + "/corrupt/good";
  REQUIRE(file::write_atomic(p, "V1:1\nS0:\nR1:a\nM0:\n" + end, 0600));
  Fd fd(::open(p.c_str(), O_RDONLY));
  CHECK(queue::read_envelope(fd.get(), "X"));
}

TEST_CASE("queue: a file names its own queue ID; under another ID it is corrupt", "[queue]") {
  // A spare keeps the old message's bytes until it is taken; should a
  // crash leave a new name pointing at them, that old message must not be
  // delivered again.
  TempQueue q;
  std::string id = write_one(q, "Subject: hi\n\nbody\n");
  std::string text = file::read_file(queue::path(q.dir, "incoming", id), 1 << 20).value();
  CHECK(text.rfind("V1:1\nI17:" + id + "\n", 0) == 0);
  std::string other = queue::new_id();
  REQUIRE(other != id);
  REQUIRE(file::write_atomic(queue::path(q.dir, "incoming", other), text, 0600));
  Fd fd(::open(queue::path(q.dir, "incoming", other).c_str(), O_RDONLY));
  auto env = queue::read_envelope(fd.get(), other);
  REQUIRE_FALSE(env);
  CHECK(env.error().message == "corrupt queue file " + other + ": holds message " + id);
}

TEST_CASE("queue: record length at the limit and over it", "[queue]") {
  TempQueue q;
  auto w = queue::Writer::create(q.dir);
  REQUIRE(w);
  CHECK(w->sender(std::string(queue::kRecordMax, 'a')));
  CHECK_FALSE(w->attr("x", std::string(queue::kRecordMax, 'a')));
  const std::string end = "E20:00000000000000000000\n";
  std::string over = "V1:1\nS" + std::to_string(queue::kRecordMax + 1) + ":" + std::string(queue::kRecordMax + 1, 'a') +
                     "\nR1:a\nM0:\n" + end;
  std::string p = q.dir + "/corrupt/long";
  REQUIRE(file::write_atomic(p, over, 0600));
  Fd fd(::open(p.c_str(), O_RDONLY));
  auto env = queue::read_envelope(fd.get(), "X");
  REQUIRE_FALSE(env);
  CHECK(env.error().message.find("record too long") != std::string::npos);
}

TEST_CASE("queue: recipients per file at the limit and over it", "[queue][limits]") {
  TempQueue q;
  auto w = queue::Writer::create(q.dir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.test"));
  for (size_t i = 0; i < queue::kRecipientsMax; ++i) REQUIRE(w->recipient("r@example.test"));
  auto over = w->recipient("one-too-many@example.test");
  REQUIRE_FALSE(over);
  CHECK(over.error().message.find("more than 100000 recipients") != std::string::npos);
  REQUIRE(w->begin_content());
  REQUIRE(w->commit());
  Fd fd(::open(queue::path(q.dir, "incoming", w->id()).c_str(), O_RDONLY));
  auto env = queue::read_envelope(fd.get(), w->id());
  REQUIRE(env);
  CHECK(env->recipients.size() == queue::kRecipientsMax);
}

TEST_CASE("queue: trigger_qmgr fails cleanly when nobody listens", "[queue]") {
  TempQueue q;
  CHECK_FALSE(queue::trigger_qmgr(q.dir));
}

// ---- queue directories (lib/queue/dirs.h)

#include <pwd.h>

#include "lib/queue/dirs.h"

TEST_CASE("queue dirs: modes and owners", "[queue][dirs]") {
  CHECK(queue::dir_policy("private").mode == 0700);
  CHECK(queue::dir_policy("public").mode == 0755);
  CHECK(queue::dir_policy("incoming").mode == 0700);
  CHECK_FALSE(queue::dir_policy("pid").owned_by_mail_owner);
  CHECK(queue::dir_policy("private").owned_by_mail_owner);
}

TEST_CASE("queue dirs: make_dirs creates what is missing, keeps what exists", "[queue][dirs]") {
  char tmpl[] = "/tmp/buzon-dirs-XXXXXX";
  std::string top = ::mkdtemp(tmpl);
  std::string q = top + "/queue";
  std::optional<std::pair<uid_t, gid_t>> owner;
  if (::getuid() == 0) {
    passwd* pw = ::getpwnam("nobody");
    REQUIRE(pw);
    owner = {{pw->pw_uid, pw->pw_gid}};
  }
  REQUIRE(::mkdir(q.c_str(), 0755) == 0);
  REQUIRE(::mkdir((q + "/incoming").c_str(), 0750) == 0);  // existing: mode kept
  REQUIRE(queue::make_dirs(q, owner));
  for (const char* name : queue::kDirs) {
    INFO(name);
    struct stat sb{};
    REQUIRE(::lstat((q + "/" + name).c_str(), &sb) == 0);
    CHECK(S_ISDIR(sb.st_mode));
    if (std::string(name) != "incoming") CHECK((sb.st_mode & 07777) == queue::dir_policy(name).mode);
    if (owner) CHECK(sb.st_uid == (queue::dir_policy(name).owned_by_mail_owner ? owner->first : 0));
  }
  struct stat sb{};
  REQUIRE(::stat((q + "/incoming").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0750);
  CHECK(queue::make_dirs(q, owner));  // idempotent
  std::system(("rm -rf '" + top + "'").c_str());
}

TEST_CASE("queue dirs: a symlink where a subdirectory belongs is refused", "[queue][dirs]") {
  char tmpl[] = "/tmp/buzon-dirs-XXXXXX";
  std::string top = ::mkdtemp(tmpl);
  std::string q = top + "/queue";
  REQUIRE(::mkdir(q.c_str(), 0755) == 0);
  REQUIRE(::mkdir((top + "/elsewhere").c_str(), 0755) == 0);
  REQUIRE(::symlink((top + "/elsewhere").c_str(), (q + "/private").c_str()) == 0);
  auto r = queue::make_dirs(q, std::nullopt);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("private: not a directory") != std::string::npos);
  std::system(("rm -rf '" + top + "'").c_str());
}
