// The libevent side of smtpd over real sockets: one write per pipelined
// group, timeouts, half-closed clients, many sessions in one loop, the
// qmgr wakeup, peer identification, and serve() draining on SIGHUP/SIGTERM while a
// session is in the middle of DATA.
#include "smtpd/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>

#include "smtpd/peer.h"
#include "smtpd/serve.h"
#include "t/smtpd/fixture.h"

using namespace smtpd_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Runs the loop until pred() holds or the deadline passes.
bool pump(event::Loop& loop, const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
  auto deadline = Clock::now() + limit;
  event::Event tick(loop, -1, 0, [](short) {});
  while (Clock::now() < deadline) {
    if (pred()) return true;
    tick.add(20ms);
    event_base_loop(loop.base(), EVLOOP_ONCE);
  }
  return pred();
}

// The test's end of a connection: non-blocking, collects what it reads.
struct End {
  Fd fd;
  std::string got;
  bool eof = false;
  void read_some() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        got.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      return;
    }
  }
  void send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd.get(), s.data(), s.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  bool has(std::string_view s) {
    read_some();
    return got.find(s) != std::string::npos;
  }
};

struct Rig {
  Fixture& f;
  event::Loop loop;
  queue::Committer committer{loop};
  std::vector<std::unique_ptr<smtpd::Connection>> conns;
  int done = 0;
  int queued = 0;

  explicit Rig(Fixture& fx) : f(fx) { signal(SIGPIPE, SIG_IGN); }

  End connect(std::function<void()> on_queued = {}) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    auto wake = on_queued ? on_queued : [this] { ++queued; };
    conns.push_back(std::make_unique<smtpd::Connection>(
        loop, Fd(sv[0]), f.settings, net_peer(),
        [this](smtpd::Connection* c) {
          ++done;
          for (auto& owned : conns)
            if (owned.get() == c) loop.defer_delete(std::move(owned));
        },
        wake, committer));
    End p;
    p.fd = Fd(sv[1]);
    return p;
  }
};

Fd listen_tcp(int& port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::listen(fd.get(), 16) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  port = ntohs(sa.sin_port);
  return fd;
}

Fd connect_tcp(int port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  return fd;
}

// Blocking read with a deadline until s appears (for the forked server).
bool wait_for_text(End& p, std::string_view s, std::chrono::milliseconds limit = 5s) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (p.has(s)) return true;
    pollfd pfd{p.fd.get(), POLLIN, 0};
    ::poll(&pfd, 1, 50);
  }
  return p.has(s);
}

bool wait_for_eof(End& p, std::chrono::milliseconds limit = 5s) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline && !p.eof) {
    p.read_some();
    if (p.eof) break;
    pollfd pfd{p.fd.get(), POLLIN, 0};
    ::poll(&pfd, 1, 50);
  }
  return p.eof;
}

}  // namespace

TEST_CASE("connection: pipelined group in, replies out, QUIT closes", "[connection]") {
  Fixture f;
  Rig rig(f);
  End c = rig.connect();
  REQUIRE(pump(rig.loop, [&] { return c.has("220 mx.example.test ESMTP Buzon\r\n"); }));
  c.send("EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
         "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n");
  REQUIRE(pump(rig.loop, [&] { return rig.done == 1; }));
  c.read_some();
  CHECK(codes(c.got) == Codes{"220", "250", "250", "250", "354", "250", "221"});
  CHECK(c.eof);
  CHECK(rig.queued == 1);
  CHECK(f.incoming().size() == 1);
}

TEST_CASE("connection: a slow client does not hold up another", "[connection]") {
  Fixture f;
  Rig rig(f);
  End slow = rig.connect();
  End fast = rig.connect();
  slow.send("EHLO slow\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: half");
  fast.send("HELO fast\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nfast\r\n.\r\nQUIT\r\n");
  REQUIRE(pump(rig.loop, [&] { return rig.done == 1; }));
  CHECK(fast.has("221 2.0.0 Bye"));
  CHECK(slow.has("354 End data"));
  CHECK_FALSE(slow.eof);
  slow.send(" message\r\n.\r\nQUIT\r\n");
  REQUIRE(pump(rig.loop, [&] { return rig.done == 2; }));
  CHECK(f.incoming().size() == 2);
}

TEST_CASE("connection: smtpd_timeout sends 421 and closes", "[connection]") {
  Fixture f("smtpd_timeout = 1s\n");
  Rig rig(f);
  End c = rig.connect();
  c.send("EHLO c\r\nMAIL FROM:<>\r\n");
  auto start = Clock::now();
  REQUIRE(pump(rig.loop, [&] { return rig.done == 1; }, 10s));
  CHECK(Clock::now() - start >= 900ms);
  CHECK(c.has("421 4.4.2 mx.example.test Error: timeout exceeded\r\n"));
  CHECK(f.maillog().find("timeout after MAIL from unknown[192.0.2.1]") != std::string::npos);
}

TEST_CASE("connection: smtpd_error_sleep_time delays one client, not the others", "[connection][limits]") {
  Fixture f("smtpd_soft_error_limit = 0\nsmtpd_error_sleep_time = 1s\n");
  Rig rig(f);
  End bad = rig.connect();
  End good = rig.connect();
  REQUIRE(pump(rig.loop, [&] { return bad.has("220 ") && good.has("220 "); }));
  bad.send("XYZZY\r\n");  // the error: its own reply is not delayed yet
  REQUIRE(pump(rig.loop, [&] { return bad.has("500 "); }));
  bad.got.clear();
  auto start = Clock::now();
  bad.send("NOOP\r\nNOOP\r\n");  // two replies, one second each
  good.send("NOOP\r\n");
  REQUIRE(pump(rig.loop, [&] { return good.has("250 2.0.0 Ok\r\n"); }));
  CHECK(Clock::now() - start < 900ms);  // the other session was not held up
  CHECK_FALSE(bad.has("250 "));
  REQUIRE(pump(rig.loop, [&] {
    bad.read_some();
    return codes(bad.got).size() == 2;
  }, 10s));
  CHECK(Clock::now() - start >= 1900ms);
  CHECK(codes(bad.got) == Codes{"250", "250"});
  // Commands sent during a delay wait in the socket and are answered after
  // it, in order.
  bad.got.clear();
  bad.send("NOOP\r\n");
  pump(rig.loop, [] { return false; }, 100ms);  // the first reply is now on its timer
  bad.send("NOOP\r\nQUIT\r\n");
  REQUIRE(pump(rig.loop, [&] { return rig.done == 1; }, 10s));
  bad.read_some();
  CHECK(codes(bad.got) == Codes{"250", "250", "221"});
}

TEST_CASE("connection: a half-closed client still gets its replies", "[connection]") {
  Fixture f;
  Rig rig(f);
  End c = rig.connect();
  c.send("NOOP\r\nNOOP\r\n");
  ::shutdown(c.fd.get(), SHUT_WR);
  REQUIRE(pump(rig.loop, [&] { return rig.done == 1; }));
  c.read_some();
  CHECK(codes(c.got) == Codes{"220", "250", "250"});
  CHECK(f.maillog().find("lost connection after NOOP from unknown[192.0.2.1]") != std::string::npos);
}

TEST_CASE("connection: a client that does not read its replies is not read either", "[connection]") {
  Fixture f("smtpd_junk_command_limit = 1000000\n");
  Rig rig(f);
  End c = rig.connect();
  // 200000 NOOPs (1.2 MB) would produce 2.8 MB of replies. A client that
  // does not read them must not make the server buffer them: it stops
  // reading commands, so the client's sends block long before the end.
  const int n = 200000;
  std::string cmds;
  for (int i = 0; i < n; ++i) cmds += "NOOP\r\n";
  cmds += "QUIT\r\n";
  std::string_view rest = cmds;
  auto send_some = [&] {
    ssize_t w = ::send(c.fd.get(), rest.data(), std::min<size_t>(rest.size(), 65536), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w > 0) rest.remove_prefix(static_cast<size_t>(w));
    return w > 0;
  };
  // Phase 1: send without reading until the server has stopped taking bytes
  // for a while (20 idle rounds of the loop).
  int idle_rounds = 0;
  pump(rig.loop, [&] {
    idle_rounds = send_some() ? 0 : idle_rounds + 1;
    return idle_rounds >= 20 || rest.empty();
  }, 20s);
  CHECK_FALSE(rest.empty());
  CHECK(rest.size() > cmds.size() / 2);
  // Phase 2: read as a well-behaved pipelining client does; nothing is lost.
  REQUIRE(pump(rig.loop, [&] {
    if (!rest.empty()) send_some();
    c.read_some();
    return rig.done == 1;
  }, 30s));
  c.read_some();
  size_t replies = 0;
  for (size_t i = 0; (i = c.got.find("250 2.0.0 Ok\r\n", i)) != std::string::npos; ++i) ++replies;
  CHECK(replies == static_cast<size_t>(n));
  CHECK(c.got.substr(c.got.size() - 15) == "221 2.0.0 Bye\r\n");
}

TEST_CASE("connection: a committed message wakes qmgr", "[connection]") {
  Fixture f;
  std::string sock = f.queue_dir + "/public/qmgr";
  Fd qmgr(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  REQUIRE(sock.size() < sizeof sa.sun_path);
  std::strcpy(sa.sun_path, sock.c_str());
  REQUIRE(::bind(qmgr.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::listen(qmgr.get(), 4) == 0);

  queue::QmgrWaker waker(f.queue_dir);  // outlives the rig, whose sessions call it
  Rig rig(f);
  End c = rig.connect([&] { smtpd::wake_qmgr(waker); });
  c.send("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
  REQUIRE(pump(rig.loop, [&] { return rig.done == 1; }));
  Fd woken(::accept4(qmgr.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(woken);
  char b = 0;
  CHECK(::read(woken.get(), &b, 1) == 1);
  CHECK(b == 'W');

  // Without a qmgr socket the wakeup only logs a warning.
  qmgr.reset();
  woken.reset();
  ::unlink(sock.c_str());
  smtpd::wake_qmgr(waker);
  CHECK(f.maillog().find("warning: qmgr trigger: ") != std::string::npos);
}

TEST_CASE("peer: network and local peers", "[peer]") {
  Fixture f;
  int port = 0;
  Fd l = listen_tcp(port);
  Fd client = connect_tcp(port);
  Fd server(::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(server);
  auto p = smtpd::network_peer(server.get());
  REQUIRE(p.ok());
  CHECK(p->addr == "127.0.0.1");
  CHECK(p->name == "unknown");
  CHECK_FALSE(p->local);
  CHECK(p->label() == "unknown[127.0.0.1]");

  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  Fd a(sv[0]), b(sv[1]);
  auto lp = smtpd::local_peer(a.get(), *f.cf);
  REQUIRE(lp.ok());
  CHECK(lp->local);
  CHECK(lp->uid == ::getuid());
  passwd* pw = ::getpwuid(::getuid());
  CHECK(lp->login == (pw ? std::string(pw->pw_name) : "uid" + std::to_string(::getuid())));
  CHECK(lp->label() == "local[uid=" + std::to_string(::getuid()) + "]");

  // The passwd-file names the uid first.
  Fixture g("", "me:x:" + std::to_string(::getuid()) + ":0::/home/me::\n");
  auto named = smtpd::local_peer(a.get(), *g.cf);
  REQUIRE(named.ok());
  CHECK(named->login == "me");

  // Not a connected socket.
  CHECK_FALSE(smtpd::network_peer(l.get()).ok());
}

namespace {

// Runs smtpd::serve in a child on a fresh TCP listener; returns its pid.
pid_t fork_serve(Fixture& f, int& port) {
  Fd l = listen_tcp(port);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    daemon::Context ctx;
    ctx.cf = *f.cf;
    ctx.service = "smtp";
    ctx.type = "inet";
    ctx.listen = std::move(l);
    if (!smtpd::pre_jail(ctx)) ::_exit(2);
    ::_exit(smtpd::serve(ctx));
  }
  return pid;
}

// Waits up to 5 s for the child to exit; returns its exit status or -1.
int reap(pid_t pid) {
  int status = 0;
  auto deadline = Clock::now() + 5s;
  pid_t w = 0;
  while ((w = ::waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) ::poll(nullptr, 0, 20);
  if (w == 0) ::kill(pid, SIGKILL), ::waitpid(pid, &status, 0);
  return w == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// busy: inside DATA with a Subject: line sent; idle: after EHLO.
void start_busy_and_idle(End& busy, End& idle, const std::string& subject) {
  REQUIRE(wait_for_text(busy, "220 "));
  REQUIRE(wait_for_text(idle, "220 "));
  busy.send("EHLO b\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: " + subject +
            "\r\n");
  REQUIRE(wait_for_text(busy, "354 "));
  idle.send("EHLO i\r\n");
  REQUIRE(wait_for_text(idle, "250 CHUNKING"));
}

}  // namespace

TEST_CASE("serve: SIGHUP (reload) lets every session finish on the old process", "[serve]") {
  Fixture f("max_idle = 100s\n");
  int port = 0;
  pid_t pid = fork_serve(f, port);
  End busy{connect_tcp(port)};
  End idle{connect_tcp(port)};
  start_busy_and_idle(busy, idle, "reload");

  REQUIRE(::kill(pid, SIGHUP) == 0);
  // The idle session is still served, as by Postfix's smtpd after a reload.
  idle.send("NOOP\r\n");
  CHECK(wait_for_text(idle, "250 2.0.0 Ok\r\n"));
  busy.send("still here\r\n.\r\n");
  CHECK(wait_for_text(busy, "250 2.0.0 Ok: queued as "));
  idle.send("QUIT\r\n");
  busy.send("QUIT\r\n");
  CHECK(wait_for_eof(idle));
  CHECK(wait_for_eof(busy));
  CHECK(reap(pid) == 0);  // exits once its last session is over
  auto m = f.only();
  // Date: and Message-ID: are added after the Subject: (a local client).
  CHECK(m.content.find("Subject: reload\n") != std::string::npos);
  CHECK(m.content.find("\nstill here\n") != std::string::npos);
}

TEST_CASE("serve: SIGTERM closes idle sessions, a session in DATA finishes", "[serve]") {
  Fixture f("max_idle = 100s\n");
  int port = 0;
  pid_t pid = fork_serve(f, port);
  End busy{connect_tcp(port)};
  End idle{connect_tcp(port)};
  start_busy_and_idle(busy, idle, "stop");

  REQUIRE(::kill(pid, SIGTERM) == 0);
  CHECK(wait_for_text(idle, "421 4.3.2 mx.example.test Service shutting down\r\n"));
  CHECK(wait_for_eof(idle));
  busy.send("still here\r\n.\r\n");
  CHECK(wait_for_text(busy, "250 2.0.0 Ok: queued as "));
  CHECK(wait_for_text(busy, "421 4.3.2 mx.example.test Service shutting down\r\n"));
  CHECK(wait_for_eof(busy));
  CHECK(reap(pid) == 0);
  auto m = f.only();
  CHECK(m.content.find("Subject: stop\n") != std::string::npos);
  CHECK(m.content.find("\nstill here\n") != std::string::npos);
}
