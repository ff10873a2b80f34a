// buzon queue delete|hold|release|requeue|show on a real queue directory.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "cli/queue_ops.h"
#include "cli/queue_show.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;

namespace {

struct Queue {
  test::TempDir t;
  std::string dir;
  Queue() : dir(t.path) {
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(dir + "/" + d, 0700));
  }
  std::string write(const std::string& to = "incoming") {
    auto w = queue::Writer::create(dir);
    REQUIRE(w);
    REQUIRE(w->sender("alice@example.test"));
    REQUIRE(w->attr("dsn_envid", "E-9"));
    REQUIRE(w->recipient("bob@example.test", "list@example.test",
                         queue::RecipientDsn{queue::kNotifySuccess | queue::kNotifyFailure, "rfc822;bob@example.test"}));
    REQUIRE(w->begin_content());
    REQUIRE(w->append("Subject: hi\n\nbody\n"));
    REQUIRE(w->commit());
    std::string id = w->id();
    if (to != "incoming")
      REQUIRE(::rename(queue::path(dir, "incoming", id).c_str(), queue::path(dir, to, id).c_str()) == 0);
    return id;
  }
  bool has(const std::string& q, const std::string& id) const {
    return ::access(queue::path(dir, q, id).c_str(), F_OK) == 0;
  }
};

}  // namespace

TEST_CASE("queue ops: delete removes the file and its defer log", "[cli][queue]") {
  Queue q;
  std::string id = q.write("deferred");
  REQUIRE(file::write_atomic(queue::path(q.dir, "defer", id), "bob@example.test\t4.2.0\tlocked\n", 0600));
  auto r = apply_op(q.dir, QueueOp::Delete, id);
  REQUIRE(r);
  CHECK(r->outcome == OpOutcome::Done);
  CHECK(r->from == "deferred");
  CHECK(locate(q.dir, id).empty());
  CHECK_FALSE(q.has("defer", id));
  CHECK(apply_op(q.dir, QueueOp::Delete, id)->outcome == OpOutcome::NotFound);
}

TEST_CASE("queue ops: hold, release and requeue move between queues", "[cli][queue]") {
  Queue q;
  std::string id = q.write("deferred");
  REQUIRE(file::write_atomic(queue::path(q.dir, "defer", id), "bob@example.test\t4.2.0\tlocked\n", 0600));
  CHECK(apply_op(q.dir, QueueOp::Hold, id)->outcome == OpOutcome::Done);
  CHECK(locate(q.dir, id) == "hold");
  CHECK(q.has("defer", id));  // a held message keeps its reasons
  // Hold of a held message: nothing to do.
  CHECK(apply_op(q.dir, QueueOp::Hold, id)->outcome == OpOutcome::WrongQueue);

  // Release: to deferred/, due now (mtime is the next attempt time).
  time_t before = ::time(nullptr);
  CHECK(apply_op(q.dir, QueueOp::Release, id)->outcome == OpOutcome::Done);
  CHECK(locate(q.dir, id) == "deferred");
  struct stat st;
  REQUIRE(::stat(queue::path(q.dir, "deferred", id).c_str(), &st) == 0);
  CHECK(st.st_mtime >= before);
  // The release takes the time from gettimeofday; time() may read a clock
  // that lags it by a tick, one second less right at a second's turn.
  timeval after{};
  ::gettimeofday(&after, nullptr);
  CHECK(st.st_mtime <= after.tv_sec);
  CHECK(apply_op(q.dir, QueueOp::Release, id)->outcome == OpOutcome::WrongQueue);

  // Requeue: to incoming/, reasons forgotten.
  CHECK(apply_op(q.dir, QueueOp::Requeue, id)->outcome == OpOutcome::Done);
  CHECK(locate(q.dir, id) == "incoming");
  CHECK_FALSE(q.has("defer", id));
}

TEST_CASE("queue ops: files in active/ belong to qmgr and are left alone", "[cli][queue]") {
  Queue q;
  std::string id = q.write("active");
  for (auto op : {QueueOp::Delete, QueueOp::Hold, QueueOp::Release, QueueOp::Requeue}) {
    auto r = apply_op(q.dir, op, id);
    REQUIRE(r);
    CHECK(r->outcome == OpOutcome::Busy);
  }
  CHECK(q.has("active", id));
  // ALL never lists active/.
  auto all = ids_for_all(q.dir, QueueOp::Delete);
  REQUIRE(all);
  CHECK(all->empty());
}

TEST_CASE("queue ops: ALL lists the source queues in ID order", "[cli][queue]") {
  Queue q;
  std::string a = q.write("incoming"), b = q.write("deferred"), c = q.write("hold");
  REQUIRE(file::write_atomic(q.dir + "/deferred/not-an-id", "x", 0600));
  CHECK(*ids_for_all(q.dir, QueueOp::Delete) == std::vector<std::string>{a, b, c});
  CHECK(*ids_for_all(q.dir, QueueOp::Hold) == std::vector<std::string>{a, b});
  CHECK(*ids_for_all(q.dir, QueueOp::Release) == std::vector<std::string>{c});
  CHECK_FALSE(apply_op(q.dir, QueueOp::Delete, "../x"));
}

TEST_CASE("queue show: envelope records and content like postcat -q", "[cli][queue]") {
  Queue q;
  std::string id = q.write("deferred");
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = ::open_memstream(&buf, &len);
  REQUIRE(out);
  auto s = show_message(q.dir, id, out);
  std::fclose(out);
  std::string text(buf, len);
  std::free(buf);
  REQUIRE(s);
  CHECK(text.rfind("*** ENVELOPE RECORDS deferred/" + id + " ***\n", 0) == 0);
  CHECK(text.find("\nsender: alice@example.test\n") != std::string::npos);
  CHECK(text.find("\nnamed_attribute: dsn_envid=E-9\n") != std::string::npos);
  CHECK(text.find("\noriginal_recipient: list@example.test\n") != std::string::npos);
  CHECK(text.find("\ndsn_notify: SUCCESS,FAILURE\n") != std::string::npos);
  CHECK(text.find("\ndsn_orig_rcpt: rfc822;bob@example.test\n") != std::string::npos);
  CHECK(text.find("\nrecipient: bob@example.test\n") != std::string::npos);
  CHECK(text.find("*** MESSAGE CONTENTS deferred/" + id + " ***\nSubject: hi\n\nbody\n*** MESSAGE FILE END deferred/" +
                  id + " ***\n") != std::string::npos);
  CHECK_FALSE(show_message(q.dir, "0000000000000000F", stdout));
}
