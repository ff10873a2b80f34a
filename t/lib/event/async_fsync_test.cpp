#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "lib/core/fd.h"
#include "lib/event/async_fsync.h"
#include "lib/event/event.h"
#include "t/temp_dir.h"

using namespace buzon;

namespace {

Fd written_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), "message\n", 8) == 8);
  return fd;
}

}  // namespace

TEST_CASE("async_fsync: done runs once, from the loop, with 0", "[event][fsync]") {
  test::TempDir dir;
  event::Loop loop;
  event::AsyncFsync fsync(loop);
  if (!fsync.async()) WARN("no Linux AIO here: fsyncs run inline");
  std::vector<int> results;
  fsync.sync(written_file(dir.path + "/a"), [&](int err) { results.push_back(err); });
  CHECK(results.empty());  // never from inside sync()
  loop.run();
  CHECK(results == std::vector<int>{0});
  CHECK(fsync.in_flight() == 0);
}

TEST_CASE("async_fsync: more files than fit in flight are all synced, each once", "[event][fsync]") {
  test::TempDir dir;
  event::Loop loop;
  event::AsyncFsync fsync(loop);
  const unsigned n = event::AsyncFsync::kMaxInFlight + 44;
  std::vector<int> calls(n, 0), errors(n, -1);
  for (unsigned i = 0; i < n; ++i)
    fsync.sync(written_file(dir.path + "/" + std::to_string(i)), [&, i](int err) {
      ++calls[i];
      errors[i] = err;
    });
  loop.run();
  CHECK(calls == std::vector<int>(n, 1));
  CHECK(errors == std::vector<int>(n, 0));
}

TEST_CASE("async_fsync: a descriptor that cannot be synced reports its errno", "[event][fsync]") {
  event::Loop loop;
  event::AsyncFsync fsync(loop);
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  Fd reader(p[0]);
  int got = -1;
  fsync.sync(Fd(p[1]), [&](int err) { got = err; });  // fsync(2) of a pipe: EINVAL
  loop.run();
  CHECK(got == EINVAL);
}

TEST_CASE("async_fsync: destroyed with fsyncs in flight, it waits for them and calls no done", "[event][fsync]") {
  test::TempDir dir;
  event::Loop loop;
  int calls = 0;
  {
    event::AsyncFsync fsync(loop);
    for (int i = 0; i < 20; ++i) fsync.sync(written_file(dir.path + "/" + std::to_string(i)), [&](int) { ++calls; });
  }
  loop.run();  // inline results were deferred to the loop: they must not run either
  CHECK(calls == 0);
}
