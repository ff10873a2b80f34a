// queue::QmgrWaker: one connection to qmgr's trigger socket for many
// messages, replaced when qmgr closed it.
#include <catch2/catch.hpp>

#include <poll.h>
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

// Everything the peer sent until it closed; false if it has not closed.
bool read_to_eof(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return false;
    out.append(buf, static_cast<size_t>(n));
  }
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
  REQUIRE(waker.wake_for("6B0D4F8063A404CFC"));
  CHECK(read_all(conn.get()) == "I6B0D4F8063A404CFC\n");
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

TEST_CASE("qmgr waker: when qmgr's socket buffer is full, the connection is closed for a scan", "[queue][waker]") {
  test::TempQueue dir;
  FakeQmgr q(dir.path);
  queue::QmgrWaker waker(dir.path);
  const std::string id = "6B0D4F8063A404CFC";
  REQUIRE(waker.wake_for(id));
  Fd conn = q.accept();
  REQUIRE(conn);
  // qmgr reads nothing: the waker fills the buffer, then gives up on the
  // connection instead of blocking or sending part of a trigger. Each wake
  // still succeeds: qmgr will scan incoming/ at the end of the connection.
  auto closed = [&] {
    pollfd p{conn.get(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
  };
  size_t wakes = 1;
  while (!closed()) {
    REQUIRE(wakes < 1000000);
    REQUIRE(waker.wake_for(id));
    ++wakes;
  }
  std::string got;
  REQUIRE(read_to_eof(conn.get(), got));  // every byte up to the close, then the end
  const std::string one = "I" + id + "\n";
  REQUIRE(got.size() >= one.size());
  CHECK(got.size() % one.size() == 0);  // whole triggers only
  CHECK(got.size() / one.size() == wakes - 1);  // all but the one that did not fit
  CHECK(got.substr(got.size() - one.size()) == one);
  // The next wake connects again.
  REQUIRE(waker.wake());
  Fd again = q.accept();
  REQUIRE(again);
  CHECK(read_all(again.get()) == "W");
}
