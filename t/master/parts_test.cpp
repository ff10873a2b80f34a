// master's pieces one at a time: command line, listening addresses,
// daemon argv/environment, spawn (fds, signals, environment as the child
// sees them, read from /proc), pid lock, queue directories, triggers.
#include <catch2/catch.hpp>

#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/core/strings.h"
#include "lib/queue/queue.h"
#include "master/listeners.h"
#include "master/options.h"
#include "master/pid_lock.h"
#include "master/spawn.h"
#include "master/supervisor.h"
#include "master/trigger.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::master;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

Result<Options> opts(std::vector<const char*> v) {
  return parse_options(static_cast<int>(v.size()), v.data());
}

config::Service svc(std::string name, std::string type) {
  config::Service s;
  s.name = std::move(name);
  s.type = std::move(type);
  s.command = "echo_daemon";
  s.file = "/etc/buzon/master.cf";
  s.line = 7;
  return s;
}

Settings settings(const std::string& queue_dir = "/var/spool/buzon") {
  Settings st;
  st.config_dir = "/etc/buzon";
  st.queue_dir = queue_dir;
  st.daemon_dir = "/usr/libexec/buzon";
  st.mail_owner = "nobody";
  st.inet_interfaces = {"all"};
  return st;
}

std::vector<std::string> labels(const Result<std::vector<Endpoint>>& r) {
  std::vector<std::string> out;
  if (r)
    for (const auto& e : *r) out.push_back(e.label());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return status;
}

}  // namespace

// ---- options ---------------------------------------------------------------

TEST_CASE("master: options", "[master]") {
  auto o = opts({"master", "-c", "/etc/buzon", "-d"});
  REQUIRE(o);
  CHECK(o->config_dir == "/etc/buzon");
  CHECK(o->debug);
  auto plain = opts({"master"});
  REQUIRE(plain);
  CHECK(plain->config_dir.empty());
  CHECK_FALSE(plain->debug);
  CHECK(opts({"master", "-c"}).error().message == "option -c requires a directory");
  CHECK(opts({"master", "-c", ""}).error().message == "option -c requires a directory");
  CHECK(opts({"master", "-x"}).error().message == "unexpected argument: -x");
  CHECK(opts({"master", "extra"}).error().message == "unexpected argument: extra");
}

// ---- listening addresses ---------------------------------------------------

TEST_CASE("master: inet service names", "[master]") {
  Settings st = settings();
  CHECK(labels(endpoints_for(svc("127.0.0.1:10025", "inet"), st)) == std::vector<std::string>{"127.0.0.1:10025"});
  CHECK(labels(endpoints_for(svc("[::1]:587", "inet"), st)) == std::vector<std::string>{"[::1]:587"});
  CHECK(labels(endpoints_for(svc("smtp", "inet"), st)) == std::vector<std::string>{"0.0.0.0:smtp"});
  st.inet_interfaces = {"loopback-only"};
  CHECK(labels(endpoints_for(svc("25", "inet"), st)) == std::vector<std::string>{"127.0.0.1:25"});
  st.inet_interfaces = {"127.0.0.1", "[::1]", "127.0.0.1"};  // duplicates collapse
  CHECK(labels(endpoints_for(svc("25", "inet"), st)) == std::vector<std::string>{"127.0.0.1:25", "[::1]:25"});
  // Port limits: 1 and 65535 are valid, 0 and 65536 are not.
  CHECK(endpoints_for(svc("127.0.0.1:1", "inet"), st));
  CHECK(endpoints_for(svc("127.0.0.1:65535", "inet"), st));
  CHECK_FALSE(endpoints_for(svc("127.0.0.1:0", "inet"), st));
  CHECK_FALSE(endpoints_for(svc("127.0.0.1:65536", "inet"), st));
}

TEST_CASE("master: malformed inet service names are errors", "[master]") {
  Settings st = settings();
  for (const char* bad : {"::1:25", "[::1]25", "[]:25", ":25", "127.0.0.1:", "127.0.0.1:2 5", "127.0.0.1:a/b"}) {
    INFO(bad);
    CHECK_FALSE(endpoints_for(svc(bad, "inet"), st));
  }
  st.inet_interfaces.clear();
  CHECK_FALSE(endpoints_for(svc("25", "inet"), st));
  CHECK(endpoints_for(svc("x", "pass"), st).error().message == "unsupported service type: pass");
}

TEST_CASE("master: unix service paths", "[master]") {
  Settings st = settings("/q");
  auto priv = svc("local", "unix");
  auto pub = svc("qmgr", "unix");
  pub.is_private = false;
  CHECK(labels(endpoints_for(priv, st)) == std::vector<std::string>{"/q/private/local"});
  auto p = endpoints_for(pub, st);
  REQUIRE(p);
  CHECK((*p)[0].path == "/q/public/qmgr");
  CHECK((*p)[0].is_public);
  for (const char* bad : {"", ".", "..", "a/b", "../../etc/x"}) {
    INFO(bad);
    CHECK_FALSE(endpoints_for(svc(bad, "unix"), st));
  }
  // sun_path holds 108 bytes including the NUL: 107 fits, 108 does not.
  std::string base = "/q/private/";
  CHECK(endpoints_for(svc(std::string(107 - base.size(), 'n'), "unix"), st));
  CHECK_FALSE(endpoints_for(svc(std::string(108 - base.size(), 'n'), "unix"), st));
}

TEST_CASE("master: check_services names the file and line", "[master]") {
  Settings st = settings();
  auto a = svc("127.0.0.1:25", "inet");
  auto b = a;
  b.line = 9;
  auto r = check_services({a, b}, st);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "/etc/buzon/master.cf:9: duplicate service 127.0.0.1:25 inet");
  auto c = svc("127.0.0.1:25", "unix");  // same name, other type: fine
  CHECK(check_services({a, c}, st));
  auto d = svc("bad:name:x", "inet");
  CHECK(check_services({d}, st).error().message.starts_with("/etc/buzon/master.cf:7: bad inet service name"));
  auto e = svc("x", "unix");
  e.command.clear();
  CHECK_FALSE(check_services({e}, st));
}

TEST_CASE("master: open_listener unix: stale socket replaced, other files refused", "[master]") {
  TempDir d;
  Settings st = settings(d.path);
  st.root = false;
  REQUIRE(mkdir((d.path + "/public").c_str(), 0755) == 0);
  REQUIRE(mkdir((d.path + "/private").c_str(), 0700) == 0);
  Endpoint pub{.path = d.path + "/public/submit", .is_public = true};
  Endpoint priv{.path = d.path + "/private/local"};
  {
    auto first = open_listener(pub, st);
    REQUIRE(first);
  }  // closed: the socket file stays behind, stale
  auto again = open_listener(pub, st);
  REQUIRE(again);
  struct stat sb{};
  REQUIRE(stat(pub.path.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0666);
  CHECK((fcntl(again->get(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((fcntl(again->get(), F_GETFD) & FD_CLOEXEC) != 0);
  auto p = open_listener(priv, st);
  REQUIRE(p);
  REQUIRE(stat(priv.path.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 07777) == 0600);
  std::ofstream(d.path + "/private/file") << "not a socket";
  auto refused = open_listener(Endpoint{.path = d.path + "/private/file"}, st);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.ends_with("exists and is not a socket"));
  CHECK(slurp(d.path + "/private/file") == "not a socket");
}

TEST_CASE("master: open_listener inet binds, and a busy port is an error", "[master]") {
  Settings st = settings();
  auto l = open_listener(Endpoint{.inet = true, .host = "127.0.0.1", .port = "0"}, st);
  REQUIRE(l);
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  REQUIRE(getsockname(l->get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  std::string port = std::to_string(ntohs(sa.sin_port));
  int on = 0;
  socklen_t olen = sizeof on;
  REQUIRE(getsockopt(l->get(), SOL_SOCKET, SO_REUSEADDR, &on, &olen) == 0);
  CHECK(on != 0);
  auto busy = open_listener(Endpoint{.inet = true, .host = "127.0.0.1", .port = port}, st);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().message.starts_with("bind 127.0.0.1:" + port + ": "));
}

// ---- daemon argv and environment --------------------------------------------

TEST_CASE("master: daemon argv", "[master]") {
  Settings st = settings();
  auto s = svc("submission", "inet");
  s.overrides = {{"smtpd_tls_security_level", "encrypt"}, {"smtpd_sasl_auth_enable", "yes"}};
  s.args = {"-v", "x"};
  s.chroot = true;
  st.root = true;
  CHECK(daemon_argv(s, st) == std::vector<std::string>{"echo_daemon", "-c", "/etc/buzon", "-n", "submission", "-t",
                                                      "inet", "-u", "-r", "-o",
                                                      "smtpd_tls_security_level=encrypt", "-o",
                                                      "smtpd_sasl_auth_enable=yes", "--", "-v", "x"});
  st.root = false;  // instance mode: no one to drop to
  s.chroot = false;
  s.overrides.clear();
  s.args = {"tag=a"};
  CHECK(daemon_argv(s, st) ==
        std::vector<std::string>{"echo_daemon", "-c", "/etc/buzon", "-n", "submission", "-t", "inet", "tag=a"});
  st.root = true;
  s.unprivileged = false;
  auto priv_argv = daemon_argv(s, st);
  CHECK(std::count(priv_argv.begin(), priv_argv.end(), "-u") == 0);
  CHECK(command_path(s, st) == "/usr/libexec/buzon/echo_daemon");
  s.command = "/opt/bin/filter";
  CHECK(command_path(s, st) == "/opt/bin/filter");
}

TEST_CASE("master: daemon environment is import_environment and MAIL_CONFIG", "[master]") {
  const char* env[] = {"PATH=/usr/bin", "TZ=Europe/Madrid", "LD_PRELOAD=/tmp/evil.so", "LANG=es_ES.UTF-8",
                       "MAIL_CONFIG=/somewhere/else", "IFS=x", "TZX=no", nullptr};
  const std::vector<std::string> dflt = {"TZ", "LANG"};
  CHECK(daemon_env(env, "/etc/buzon", dflt) ==
        std::vector<std::string>{"TZ=Europe/Madrid", "LANG=es_ES.UTF-8", "MAIL_CONFIG=/etc/buzon"});
  CHECK(daemon_env(nullptr, "/d", dflt) == std::vector<std::string>{"MAIL_CONFIG=/d"});
  // name=value sets; an absent name is skipped; MAIL_CONFIG stays master's.
  CHECK(daemon_env(env, "/d", {"LANG=C", "ABSENT", "TZ", "MAIL_CONFIG=/x", "MAIL_CONFIG"}) ==
        std::vector<std::string>{"LANG=C", "TZ=Europe/Madrid", "MAIL_CONFIG=/d"});
  CHECK(daemon_env(env, "/d", {}) == std::vector<std::string>{"MAIL_CONFIG=/d"});
}

// ---- spawn -------------------------------------------------------------------

namespace {

std::string status_field(pid_t pid, const std::string& name) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(name + ":")) return std::string(str::trim(line.substr(name.size() + 1)));
  return "";
}

}  // namespace

TEST_CASE("master: spawn gives the child fd 3, fd 4, default signals and nothing else", "[master]") {
  TempDir d;
  std::string sock = d.path + "/s";
  Settings st = settings(d.path);
  auto l = open_listener(Endpoint{.path = sock}, st);
  REQUIRE(l);
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  Fd status_r(p[0]), status_w(p[1]);
  // Things master has that a child must not inherit:
  Fd extra(open("/dev/null", O_RDONLY));  // without close-on-exec
  signal(SIGPIPE, SIG_IGN);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, nullptr);

  auto pid = spawn("/bin/sleep", {"sleep", "30"}, {"MAIL_CONFIG=/x", "TZ=UTC"}, l->get(), status_w.get());
  sigprocmask(SIG_UNBLOCK, &usr1, nullptr);
  signal(SIGPIPE, SIG_DFL);
  REQUIRE(pid);
  std::string proc = "/proc/" + std::to_string(*pid);
  REQUIRE(wait_until([&] { return slurp(proc + "/cmdline") == std::string("sleep\0" "30\0", 9); },
                     std::chrono::seconds(5)));
  // sleep's own start-up opens files for a moment (the locale archive), so
  // the set is checked once it has settled; a leaked fd never leaves it.
  std::vector<std::string> fds;
  auto only_ours = [&] {
    fds.clear();
    for (const auto& e : fs::directory_iterator(proc + "/fd")) fds.push_back(e.path().filename());
    std::sort(fds.begin(), fds.end());
    return fds == std::vector<std::string>{"0", "1", "2", "3", "4"};
  };
  CHECK(wait_until(only_ours, std::chrono::seconds(5)));
  CHECK(fds == std::vector<std::string>{"0", "1", "2", "3", "4"});
  CHECK(fs::read_symlink(proc + "/fd/3").string().starts_with("socket:"));
  CHECK(fs::read_symlink(proc + "/fd/4").string().starts_with("pipe:"));
  CHECK(slurp(proc + "/environ") == std::string("MAIL_CONFIG=/x\0TZ=UTC\0", 22));
  // Signals 32 and 33 are glibc's own (thread cancel, setxid): its
  // sigaction() refuses to touch them and every glibc program installs its
  // handlers for them at startup, so an ignored disposition inherited from
  // whoever ran the test is not master's to clear.
  unsigned long long ignored = std::stoull(status_field(*pid, "SigIgn"), nullptr, 16);
  CHECK((ignored & ~((1ULL << 31) | (1ULL << 32))) == 0);
  CHECK(status_field(*pid, "SigBlk") == "0000000000000000");
  kill(*pid, SIGKILL);
  int status = wait_status(*pid);
  CHECK(WIFSIGNALED(status));
}

TEST_CASE("master: spawn of a missing program exits 127", "[master]") {
  TempDir d;
  Settings st = settings(d.path);
  auto l = open_listener(Endpoint{.path = d.path + "/s"}, st);
  REQUIRE(l);
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  Fd r(p[0]), w(p[1]);
  int devnull = open("/dev/null", O_WRONLY);
  int saved = dup(2);
  dup2(devnull, 2);  // the child's "cannot execute" message is expected
  auto pid = spawn(d.path + "/no-such-daemon", {"no-such-daemon"}, {}, l->get(), w.get());
  dup2(saved, 2);
  close(saved);
  close(devnull);
  REQUIRE(pid);
  int status = wait_status(*pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 127);
}

// ---- pid lock ----------------------------------------------------------------

TEST_CASE("master: pid lock admits one master per queue", "[master]") {
  TempDir d;
  std::string path = d.path + "/master.pid";
  auto lock = PidLock::acquire(path);
  REQUIRE(lock);
  char expect[16];
  std::snprintf(expect, sizeof expect, "%10d\n", static_cast<int>(getpid()));
  // fcntl locks are per process, so the second master must be another one;
  // and closing any descriptor of the file drops our lock, so only that
  // other process may read it while we hold it.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto second = PidLock::acquire(path);
    if (second || second.error().message != kAlreadyRunning) _exit(1);
    _exit(slurp(path) == expect ? 0 : 2);  // the loser did not overwrite it
  }
  int status = wait_status(pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  lock->remove();
  CHECK_FALSE(fs::exists(path));
  pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) _exit(PidLock::acquire(path) ? 0 : 1);
  status = wait_status(pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("master: pid lock refuses a symlink", "[master]") {
  TempDir d;
  std::string target = d.path + "/target";
  std::ofstream(target) << "precious";
  REQUIRE(symlink(target.c_str(), (d.path + "/master.pid").c_str()) == 0);
  CHECK_FALSE(PidLock::acquire(d.path + "/master.pid"));
  CHECK(slurp(target) == "precious");
}

TEST_CASE("master: a stale pid file from a dead master does not block", "[master]") {
  TempDir d;
  std::ofstream(d.path + "/master.pid") << "     99999\n";
  auto lock = PidLock::acquire(d.path + "/master.pid");
  REQUIRE(lock);
  CHECK(std::stoi(slurp(d.path + "/master.pid")) == getpid());
}

// ---- triggers ----------------------------------------------------------------

namespace {

std::string accept_and_read(int listen_fd, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    Fd c(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (c) {
      timeval tv{5, 0};
      setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string got;
      char buf[16];
      ssize_t n;
      while ((n = read(c.get(), buf, sizeof buf)) > 0) got.append(buf, n);
      return got;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "(nothing)";
}

}  // namespace

TEST_CASE("master: a trigger is one byte and a close", "[master]") {
  TempDir d;
  Settings st = settings(d.path);
  event::Loop loop;
  Triggers triggers(loop, std::chrono::seconds(10));
  SECTION("unix") {
    Endpoint e{.path = d.path + "/qmgr"};
    auto l = open_listener(e, st);
    REQUIRE(l);
    triggers.send(e, l->get(), 'W');
    CHECK(triggers.pending() == 0);  // unix connects at once
    CHECK(accept_and_read(l->get(), std::chrono::seconds(5)) == "W");
  }
  SECTION("inet on the wildcard address goes to loopback") {
    Endpoint e{.inet = true, .host = "0.0.0.0", .port = "0"};
    auto l = open_listener(e, st);
    REQUIRE(l);
    triggers.send(e, l->get(), 'F');
    auto deadline = Clock::now() + std::chrono::seconds(5);
    event::Event tick(loop, -1, 0, [](short) {});
    while (triggers.pending() > 0 && Clock::now() < deadline) {
      tick.add(std::chrono::milliseconds(20));
      event_base_loop(loop.base(), EVLOOP_ONCE);
    }
    CHECK(triggers.pending() == 0);
    CHECK(accept_and_read(l->get(), std::chrono::seconds(5)) == "F");
  }
  SECTION("nobody listening: a warning, no crash, nothing pending") {
    Endpoint e{.path = d.path + "/absent"};
    triggers.send(e, -1, 'W');
    CHECK(triggers.pending() == 0);
  }
}
