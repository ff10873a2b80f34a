// lib/daemon: argv parsing, the Server availability protocol over a real
// status pipe and a real listening UNIX socket, and run() in forked children.
#include <catch2/catch.hpp>

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <functional>
#include <string>
#include <vector>

#include "lib/daemon/daemon.h"
#include "t/temp_dir.h"

using namespace buzon;
using daemon::StatusMessage;
using Clock = std::chrono::steady_clock;

namespace {

Result<daemon::Args> parse(std::vector<const char*> v) {
  return daemon::parse_args(static_cast<int>(v.size()), v.data());
}

using test::TempDir;

Fd listen_unix(const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof sa.sun_path);
  std::strcpy(sa.sun_path, path.c_str());
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(listen(fd.get(), 128) == 0);
  return fd;
}

Fd connect_unix(const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strcpy(sa.sun_path, path.c_str());
  REQUIRE(connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  return fd;
}

config::MainCf make_cf(const std::string& dir, const std::string& text) {
  auto cf = config::MainCf::parse(text, dir + "/main.cf", dir);
  if (!cf) FAIL(cf.error().message);
  return std::move(*cf);
}

// One Server under test: its listening socket, status pipe and loop.
struct Rig {
  TempDir dir;
  std::string sock = dir.path + "/svc";
  event::Loop loop;
  daemon::Context ctx;
  Fd status_read;
  std::vector<Fd> accepted;

  explicit Rig(const std::string& main_cf) {
    signal(SIGPIPE, SIG_IGN);  // as daemon::run() sets up before any Server
    ctx.cf = make_cf(dir.path, main_cf);
    ctx.service = "test";
    ctx.type = "unix";
    ctx.listen = listen_unix(sock);
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    status_read = Fd(p[0]);
    ctx.status = Fd(p[1]);
    fcntl(status_read.get(), F_SETFL, O_NONBLOCK);
  }
  daemon::Server::OnClient keep() {
    return [this](Fd c) { accepted.push_back(std::move(c)); };
  }
  // Runs the loop until pred() holds or the deadline passes; true when the
  // loop was stopped by the Server (event_base_loopbreak).
  bool pump(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    event::Event tick(loop, -1, 0, [](short) {});
    while (Clock::now() < deadline) {
      if (pred()) return false;
      tick.add(std::chrono::milliseconds(20));
      event_base_loop(loop.base(), EVLOOP_ONCE);
      if (event_base_got_break(loop.base())) return true;
    }
    return false;
  }
  bool stopped_within(std::chrono::milliseconds limit) {
    return pump([] { return false; }, limit);
  }
  std::vector<int> statuses() {
    std::vector<int> out;
    StatusMessage m;
    while (read(status_read.get(), &m, sizeof m) == static_cast<ssize_t>(sizeof m)) {
      CHECK(m.pid == getpid());
      out.push_back(m.available);
    }
    return out;
  }
};

const std::string kCf = "max_idle = 100s\nmax_use = 100\n";

}  // namespace

TEST_CASE("daemon: parse_args takes master's options and the rest as args", "[daemon]") {
  auto a = parse({"smtpd", "-c", "/etc/buzon", "-n", "127.0.0.1:25", "-t", "inet", "-u", "-r", "-o",
                  "smtpd_tls_security_level=encrypt", "-o", "empty=", "extra", "-v"});
  REQUIRE(a);
  CHECK(a->config_dir == "/etc/buzon");
  CHECK(a->service == "127.0.0.1:25");
  CHECK(a->type == "inet");
  CHECK(a->unprivileged);
  CHECK(a->chroot);
  REQUIRE(a->overrides.size() == 2);
  CHECK(a->overrides[0] == std::pair<std::string, std::string>{"smtpd_tls_security_level", "encrypt"});
  CHECK(a->overrides[1] == std::pair<std::string, std::string>{"empty", ""});
  // "-v" after the first argument is an argument, not an option.
  CHECK(a->args == std::vector<std::string>{"extra", "-v"});
}

TEST_CASE("daemon: parse_args defaults and the -- separator", "[daemon]") {
  auto a = parse({"qmgr", "-n", "qmgr", "-t", "unix", "--", "-x"});
  REQUIRE(a);
  CHECK(a->config_dir.empty());
  CHECK_FALSE(a->unprivileged);
  CHECK_FALSE(a->chroot);
  CHECK(a->overrides.empty());
  CHECK(a->args == std::vector<std::string>{"-x"});
}

TEST_CASE("daemon: parse_args rejects malformed command lines", "[daemon]") {
  auto msg = [](std::vector<const char*> v) {
    auto r = parse(std::move(v));
    return r ? std::string("ok") : r.error().message;
  };
  CHECK(msg({"d", "-n", "s", "-t", "unix", "-x"}) == "unknown option: -x");
  CHECK(msg({"d", "-n", "s", "-t"}) == "option -t requires a value");
  CHECK(msg({"d", "-n", "s", "-t", "unix", "-c"}) == "option -c requires a value");
  CHECK(msg({"d", "-n", "s", "-t", "pass"}) == "bad -t value: pass");
  CHECK(msg({"d", "-n", "s", "-t", "unix", "-o", "novalue"}) ==
        "bad -o value (want name=value): novalue");
  CHECK(msg({"d", "-n", "s", "-t", "unix", "-o", "=v"}) == "bad -o value (want name=value): =v");
  CHECK(msg({"d", "-t", "unix"}) == "missing -n service");
  CHECK(msg({"d", "-n", "s"}) == "missing -t type");
  CHECK(msg({"d", "-n", "", "-t", "unix"}) == "empty -n value");
  CHECK(msg({"d"}) == "missing -n service");
}

TEST_CASE("daemon: Server reports availability at client_limit and limit+1", "[daemon]") {
  Rig rig(kCf);
  daemon::Server server(rig.loop, rig.ctx, 2, rig.keep());
  CHECK(rig.statuses() == std::vector<int>{1});

  Fd c1 = connect_unix(rig.sock);
  REQUIRE_FALSE(rig.pump([&] { return rig.accepted.size() == 1; }, std::chrono::seconds(5)));
  REQUIRE(rig.accepted.size() == 1);
  // First client: announced as taken, then available again (1 of 2).
  CHECK(rig.statuses() == std::vector<int>{0, 1});

  Fd c2 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 2; }, std::chrono::seconds(5));
  REQUIRE(rig.accepted.size() == 2);
  CHECK(rig.statuses() == std::vector<int>{0});  // at the limit: busy

  // limit + 1: the third client waits in the backlog.
  Fd c3 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 3; }, std::chrono::milliseconds(300));
  CHECK(rig.accepted.size() == 2);
  CHECK(rig.statuses().empty());

  server.client_done();
  rig.pump([&] { return rig.accepted.size() == 3; }, std::chrono::seconds(5));
  CHECK(rig.accepted.size() == 3);
  CHECK(rig.statuses() == std::vector<int>{1, 0});
  // Accepted sockets are non-blocking and close-on-exec.
  CHECK((fcntl(rig.accepted[0].get(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((fcntl(rig.accepted[0].get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("daemon: a burst of connects is taken in one turn of the loop, up to 32 and the client limit", "[daemon]") {
  // 50 SMTP clients connecting at once used to get one accept per turn
  // of the loop, each behind a turn of everyone else's work.
  {
    Rig rig(kCf);
    daemon::Server server(rig.loop, rig.ctx, 100, rig.keep());
    std::vector<Fd> clients;
    for (int i = 0; i < 40; ++i) clients.push_back(connect_unix(rig.sock));
    event_base_loop(rig.loop.base(), EVLOOP_ONCE);
    CHECK(rig.accepted.size() == 32);  // kAcceptBurst: the others wait their turn
    event_base_loop(rig.loop.base(), EVLOOP_ONCE);
    CHECK(rig.accepted.size() == 40);
  }  // one Server (and its signal events) at a time

  Rig small(kCf);
  daemon::Server limited(small.loop, small.ctx, 5, small.keep());
  std::vector<Fd> more;
  for (int i = 0; i < 10; ++i) more.push_back(connect_unix(small.sock));
  event_base_loop(small.loop.base(), EVLOOP_ONCE);
  CHECK(small.accepted.size() == 5);  // the burst stops at the client limit
  small.pump([] { return false; }, std::chrono::milliseconds(100));
  CHECK(small.accepted.size() == 5);
}

TEST_CASE("daemon: Server with client_limit 1 is busy with one client", "[daemon]") {
  Rig rig(kCf);
  daemon::Server server(rig.loop, rig.ctx, 1, rig.keep());
  Fd c1 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 1; }, std::chrono::seconds(5));
  REQUIRE(rig.accepted.size() == 1);
  CHECK(rig.statuses() == std::vector<int>{1, 0});
  Fd c2 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 2; }, std::chrono::milliseconds(300));
  CHECK(rig.accepted.size() == 1);
  server.client_done();
  rig.pump([&] { return rig.accepted.size() == 2; }, std::chrono::seconds(5));
  CHECK(rig.accepted.size() == 2);
  CHECK(rig.statuses() == std::vector<int>{1, 0});
}

TEST_CASE("daemon: SIGHUP drains: no new clients, loop ends after the last", "[daemon]") {
  Rig rig(kCf);
  int stops = 0;
  daemon::Server server(rig.loop, rig.ctx, 4, rig.keep());
  server.on_stop([&](daemon::Server::Stop) { ++stops; });
  Fd c1 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 1; }, std::chrono::seconds(5));
  REQUIRE(rig.accepted.size() == 1);
  rig.statuses();

  REQUIRE(raise(SIGHUP) == 0);
  CHECK_FALSE(rig.pump([&] { return server.stopping(); }, std::chrono::seconds(5)));
  CHECK(server.stopping());
  CHECK(stops == 1);
  CHECK(rig.statuses() == std::vector<int>{0});
  raise(SIGHUP);  // a second signal changes nothing
  Fd c2 = connect_unix(rig.sock);
  CHECK_FALSE(rig.stopped_within(std::chrono::milliseconds(300)));
  CHECK(rig.accepted.size() == 1);  // the client in progress survives, no new one
  CHECK(stops == 1);

  server.client_done();
  CHECK(event_base_got_break(rig.loop.base()));
}

TEST_CASE("daemon: SIGTERM without clients stops at once", "[daemon]") {
  Rig rig(kCf);
  daemon::Server server(rig.loop, rig.ctx, 4, rig.keep());
  raise(SIGTERM);
  CHECK(rig.stopped_within(std::chrono::seconds(5)));
  CHECK(server.stopping());
  CHECK(rig.statuses() == std::vector<int>{1, 0});
}

TEST_CASE("daemon: SIGTERM gives a busy client a bounded grace period", "[daemon]") {
  Rig rig(kCf);
  daemon::Server server(rig.loop, rig.ctx, 4, rig.keep());
  Fd c1 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 1; }, std::chrono::seconds(5));
  REQUIRE(rig.accepted.size() == 1);
  auto start = Clock::now();
  raise(SIGTERM);
  CHECK(rig.stopped_within(std::chrono::seconds(9)));
  auto waited = Clock::now() - start;
  CHECK(waited >= std::chrono::seconds(4));  // the client was given time
  CHECK(waited < std::chrono::seconds(9));   // but less than master's 10 s
}

TEST_CASE("daemon: max_use at the limit stops accepting, exits when idle", "[daemon]") {
  // A process with two client slots serves max_use = 1 client per slot.
  Rig rig("max_idle = 100s\nmax_use = 1\n");
  daemon::Server server(rig.loop, rig.ctx, 2, rig.keep());
  Fd c1 = connect_unix(rig.sock);
  Fd c2 = connect_unix(rig.sock);
  rig.pump([&] { return rig.accepted.size() == 2; }, std::chrono::seconds(5));
  REQUIRE(rig.accepted.size() == 2);
  // Third client (limit + 1) is left for another process.
  Fd c3 = connect_unix(rig.sock);
  CHECK_FALSE(rig.stopped_within(std::chrono::milliseconds(300)));
  CHECK(rig.accepted.size() == 2);
  CHECK(rig.statuses() == std::vector<int>{1, 0, 1, 0});
  server.client_done();
  CHECK_FALSE(event_base_got_break(rig.loop.base()));
  server.client_done();
  CHECK(event_base_got_break(rig.loop.base()));
  CHECK(rig.statuses().empty());  // stays unavailable
}

TEST_CASE("daemon: max_idle ends an idle process unless persistent", "[daemon]") {
  SECTION("not persistent") {
    Rig rig("max_idle = 1s\nmax_use = 100\n");
    daemon::Server server(rig.loop, rig.ctx, 1, rig.keep());
    CHECK(rig.stopped_within(std::chrono::seconds(5)));
    CHECK(rig.statuses() == std::vector<int>{1, 0});
  }
  SECTION("persistent") {
    Rig rig("max_idle = 1s\nmax_use = 100\n");
    daemon::Server server(rig.loop, rig.ctx, 1, rig.keep(), true);
    CHECK_FALSE(rig.stopped_within(std::chrono::milliseconds(1500)));
    CHECK(rig.statuses() == std::vector<int>{1});
  }
  SECTION("an active client keeps the process") {
    Rig rig("max_idle = 1s\nmax_use = 100\n");
    daemon::Server server(rig.loop, rig.ctx, 1, rig.keep());
    Fd c1 = connect_unix(rig.sock);
    rig.pump([&] { return rig.accepted.size() == 1; }, std::chrono::seconds(5));
    CHECK_FALSE(rig.stopped_within(std::chrono::milliseconds(1500)));
    server.client_done();
    CHECK(rig.stopped_within(std::chrono::seconds(5)));
  }
}

TEST_CASE("daemon: Server drains when master closes the status pipe", "[daemon]") {
  Rig rig(kCf);
  daemon::Server server(rig.loop, rig.ctx, 1, rig.keep());
  rig.status_read.reset();
  CHECK(rig.stopped_within(std::chrono::seconds(5)));
  CHECK(server.stopping());
}

// ---- run() in a forked child: fd 3/4 as master would set them up ----------

namespace {

// Runs daemon::run in a child with the given argv; `listener` (if valid)
// becomes fd 3 and a pipe's write end fd 4. Returns the exit status.
int run_child(const std::vector<std::string>& argv, const Fd& listener, const daemon::Spec& spec) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);  // keep the expected fatal messages out of the test log
    if (listener) {
      dup2(listener.get(), 3);
      int p[2];
      if (pipe(p) == 0) dup2(p[1], 4);
    } else {
      close(3);
      close(4);
    }
    std::vector<char*> v;
    for (auto& s : argv) v.push_back(const_cast<char*>(s.c_str()));
    v.push_back(nullptr);
    _exit(daemon::run(static_cast<int>(argv.size()), v.data(), spec));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("daemon: run() hands serve() the parsed context", "[daemon]") {
  TempDir dir;
  dir.write("main.cf", "max_use = 5\nqueue_directory = " + dir.path + "\n");
  Fd listener = listen_unix(dir.path + "/sock");
  daemon::Spec spec{.name = "testd",
                    .pre_jail = [](daemon::Context& ctx) -> Status {
                      return ctx.service == "svc" ? Status{} : Status{Error{"wrong service"}};
                    },
                    .serve = [](daemon::Context& ctx) {
                      if (ctx.type != "unix") return 10;
                      if (ctx.args != std::vector<std::string>{"a1", "a2"}) return 11;
                      if (ctx.cf.get_int("max_use") != 7) return 12;  // -o beats main.cf
                      if (ctx.listen.get() != daemon::kListenFd) return 13;
                      if (ctx.status.get() != daemon::kStatusFd) return 14;
                      if (!(fcntl(3, F_GETFD) & FD_CLOEXEC)) return 15;
                      if (!(fcntl(3, F_GETFL) & O_NONBLOCK)) return 16;
                      return 42;
                    }};
  CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix", "-o", "max_use=7", "a1", "a2"},
                  listener, spec) == 42);
}

TEST_CASE("daemon: run() failures before serve() exit 1", "[daemon]") {
  TempDir dir;
  dir.write("main.cf", "max_use = 5\n");
  Fd listener = listen_unix(dir.path + "/sock");
  int served = 0;
  daemon::Spec spec{.name = "testd", .serve = [&](daemon::Context&) { return ++served, 0; }};
  SECTION("usage error") {
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "tcp"}, listener, spec) == 1);
  }
  SECTION("no listening socket on fd 3") {
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, Fd(), spec) == 1);
  }
  SECTION("fd 3 not a listening socket") {
    Fd file(open((dir.path + "/main.cf").c_str(), O_RDONLY | O_CLOEXEC));
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, file, spec) == 1);
  }
  SECTION("configuration error") {
    dir.write("main.cf", "no_such_parameter_here = 1\n");
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, listener, spec) == 1);
  }
  SECTION("bad -o override") {
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix", "-o", "max_use=many"}, listener,
                    spec) == 1);
  }
  SECTION("pre_jail error") {
    daemon::Spec failing = spec;
    failing.pre_jail = [](daemon::Context&) -> Status { return Error{"cannot open keys"}; };
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, listener, failing) == 1);
  }
  SECTION("exception during setup") {
    daemon::Spec throwing = spec;
    throwing.pre_jail = [](daemon::Context&) -> Status { throw std::runtime_error("boom"); };
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, listener, throwing) == 1);
  }
  SECTION("a working setup reaches serve") {
    CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, listener, spec) == 0);
  }
}

TEST_CASE("daemon: run() -u drops to mail_owner when root", "[daemon][root]") {
  if (geteuid() != 0) {
    WARN("not running as root: skipping the privilege drop through run()");
    return;
  }
  TempDir dir;
  dir.write("main.cf", "mail_owner = nobody\n");
  Fd listener = listen_unix(dir.path + "/sock");
  daemon::Spec spec{.name = "testd", .serve = [](daemon::Context&) {
                      return (getuid() != 0 && setuid(0) != 0) ? 42 : 1;
                    }};
  CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix", "-u"}, listener, spec) == 42);
  daemon::Spec keep = spec;
  keep.keep_root = true;
  keep.serve = [](daemon::Context&) { return getuid() == 0 ? 42 : 1; };
  CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix", "-u"}, listener, keep) == 42);
  CHECK(run_child({"testd", "-c", dir.path, "-n", "svc", "-t", "unix"}, listener, keep) == 42);
}
