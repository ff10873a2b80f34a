#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/event/event.h"
#include "lib/file/file.h"
#include "lib/queue/committer.h"
#include "t/lib/queue/temp_queue.h"

using namespace buzon;

namespace {

struct TempQueue : test::TempQueue {
  size_t count(const char* sub) const {
    size_t n = 0;
    DIR* d = ::opendir((dir + "/" + sub).c_str());
    REQUIRE(d);
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
    return n;
  }
};

}  // namespace

TEST_CASE("committer: every message ends durable in incoming/", "[queue][commit]") {
  TempQueue q;
  event::Loop loop;
  event::Event deadline(loop, -1, 0, [&](short) { loop.stop(); });
  deadline.add(std::chrono::seconds(20));
  constexpr int kMessages = 60;
  int ok = 0, failed = 0, forgotten_called = 0;
  std::vector<std::string> ids;
  {
    queue::Committer committer(loop);
    for (int i = 0; i < kMessages; ++i) {
      queue::Writer w = test::complete_writer(q, "message " + std::to_string(i) + "\n");
      ids.push_back(w.id());
      committer.commit(std::move(w), [&](Status s) {
        (s ? ok : failed)++;
        if (ok + failed == kMessages) loop.stop();
      });
    }
    queue::Writer w = test::complete_writer(q, "forgotten\n");
    committer.forget(committer.commit(std::move(w), [&](Status) { ++forgotten_called; }));
    loop.run();
  }
  CHECK(ok == kMessages);
  CHECK(failed == 0);
  CHECK(forgotten_called == 0);
  CHECK(q.count("tmp") == 0);
  CHECK(q.count("incoming") >= kMessages);  // plus the forgotten one, if it had started
  for (const auto& id : ids) {
    Fd fd(::open(queue::path(q.dir, "incoming", id).c_str(), O_RDONLY));
    REQUIRE(fd);
    CHECK(queue::read_envelope(fd.get(), id));
  }
}

TEST_CASE("committer: a failed commit reports its error", "[queue][commit]") {
  TempQueue q;
  event::Loop loop;
  event::Event deadline(loop, -1, 0, [&](short) { loop.stop(); });
  deadline.add(std::chrono::seconds(20));
  queue::Committer committer(loop);
  queue::Writer w = test::complete_writer(q, "x\n");
  // incoming/ is gone: the rename fails.
  std::system(("rm -rf '" + q.dir + "/incoming'").c_str());
  std::optional<Status> got;
  committer.commit(std::move(w), [&](Status s) {
    got = s;
    loop.stop();
  });
  CHECK_FALSE(got);  // from the loop, never from inside commit()
  loop.run();
  REQUIRE(got);
  CHECK_FALSE(*got);
}

TEST_CASE("committer: destruction with fsyncs in flight loses nothing committed", "[queue][commit]") {
  TempQueue q;
  event::Loop loop;
  std::vector<std::string> ids;
  int done = 0;
  {
    queue::Committer committer(loop);
    for (int i = 0; i < 20; ++i) {
      queue::Writer w = test::complete_writer(q, "x\n");
      ids.push_back(w.id());
      committer.commit(std::move(w), [&](Status) { ++done; });
    }
  }  // the loop never ran: no done, but every fsync was waited for
  CHECK(done == 0);
  CHECK(q.count("tmp") == 0);
  CHECK(q.count("incoming") == ids.size());
  for (const auto& id : ids) {
    Fd fd(::open(queue::path(q.dir, "incoming", id).c_str(), O_RDONLY));
    INFO(id);
    CHECK(queue::read_envelope(fd.get(), id));
  }
}

TEST_CASE("committer: on_published names each message once its file is complete in incoming/, before done",
          "[queue][commit]") {
  TempQueue q;
  event::Loop loop;
  event::Event deadline(loop, -1, 0, [&](short) { loop.stop(); });
  deadline.add(std::chrono::seconds(20));
  constexpr int kMessages = 10;
  std::set<std::string> named;       // the IDs on_published was given
  std::set<std::string> complete;    // of those, the ones whose file read back whole from incoming/
  std::set<std::string> committed;   // the Writers' own IDs
  int done = 0;
  int published_before_done = 0;
  {
    queue::Committer committer(loop, [&](const std::string& id) {
      Fd fd(::open(queue::path(q.dir, "incoming", id).c_str(), O_RDONLY));
      bool whole = fd && queue::read_envelope(fd.get(), id);
      named.insert(id);
      if (whole) complete.insert(id);
    });
    for (int i = 0; i < kMessages; ++i) {
      queue::Writer w = test::complete_writer(q, "x\n");
      std::string id = w.id();
      committed.insert(id);
      committer.commit(std::move(w), [&, id](Status s) {
        CHECK(s);
        ++done;
          if (named.count(id)) ++published_before_done;
        if (done == kMessages) loop.stop();
      });
    }
    loop.run();
  }
  CHECK(done == kMessages);
  CHECK(named == committed);
  CHECK(complete == committed);
  CHECK(published_before_done == kMessages);
}

TEST_CASE("committer: no on_published for a commit that fails", "[queue][commit]") {
  TempQueue q;
  event::Loop loop;
  event::Event deadline(loop, -1, 0, [&](short) { loop.stop(); });
  deadline.add(std::chrono::seconds(20));
  {
    int calls = 0;
    queue::Committer committer(loop, [&](const std::string&) { ++calls; });
    queue::Writer w = test::complete_writer(q, "x\n");
    std::system(("rm -rf '" + q.dir + "/incoming'").c_str());
    bool finished = false;
    committer.commit(std::move(w), [&](Status s) {
      CHECK_FALSE(s);
      finished = true;
      loop.stop();
    });
    loop.run();
    CHECK(finished);
    CHECK(calls == 0);
  }
}
