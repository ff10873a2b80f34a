// queue::QmgrWaker: one connection to qmgr's trigger socket for many
// messages, replaced when qmgr closed it.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "lib/queue/qmgr_waker.h"
#include "t/lib/queue/temp_queue.h"

using namespace buzon;

namespace {

// The test plays qmgr: a listening socket at public/qmgr.
struct FakeQmgr {
  Fd listener;
  explicit FakeQmgr(const std::string& queue_dir)
      : listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string sock = queue_dir + "/public/qmgr";
    REQUIRE(sock.size() < sizeof sa.sun_path);
    std::strcpy(sa.sun_path, sock.c_str());
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(listener.get(), 8) == 0);
  }
  Fd accept() { return Fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)); }
};

std::string read_all(int fd) {
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("qmgr waker: the wakes of many messages go over one connection", "[queue][waker]") {
  test::TempQueue dir;
  FakeQmgr q(dir.path);
  queue::QmgrWaker waker(dir.path);
  for (int i = 0; i < 3; ++i) REQUIRE(waker.wake());
  Fd conn = q.accept();
  REQUIRE(conn);
  CHECK(read_all(conn.get()) == "WWW");
  CHECK_FALSE(q.accept());  // no second connection
  REQUIRE(waker.wake('F'));
  CHECK(read_all(conn.get()) == "F");
}

TEST_CASE("qmgr waker: a connection qmgr closed is replaced", "[queue][waker]") {
  test::TempQueue dir;
  FakeQmgr q(dir.path);
  queue::QmgrWaker waker(dir.path);
  REQUIRE(waker.wake());
  Fd first = q.accept();
  REQUIRE(first);
  CHECK(read_all(first.get()) == "W");
  first.reset();  // a restarted qmgr, or one that does not keep this client
  REQUIRE(waker.wake());
  Fd second = q.accept();
  REQUIRE(second);
  CHECK(read_all(second.get()) == "W");
}

TEST_CASE("qmgr waker: without qmgr's socket a wake fails, and a later one connects", "[queue][waker]") {
  test::TempQueue dir;
  queue::QmgrWaker waker(dir.path);
  auto st = waker.wake();
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("public/qmgr") != std::string::npos);
  FakeQmgr q(dir.path);  // qmgr started
  REQUIRE(waker.wake());
  Fd conn = q.accept();
  REQUIRE(conn);
  CHECK(read_all(conn.get()) == "W");
}
