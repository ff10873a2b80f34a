// master end to end: runs libexec/master -d on a throwaway instance whose
// master.cf names t/master/echo_daemon, and watches it the way an admin
// would: sockets, replies, the process table (/proc) and the log. Waits
// are polls with deadlines; every master started is killed (with its
// children) even when an assertion fails.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/core/fd.h"

using namespace buzon;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

std::string builddir() {
  const char* b = std::getenv("BUZON_BUILDDIR");
  return b && *b ? b : fs::current_path().string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// "pid=12 uid=0 tag=one ..." -> value of key
std::string field(const std::string& reply, const std::string& key) {
  std::istringstream in(reply);
  std::string word;
  while (in >> word)
    if (word.starts_with(key + "=")) return word.substr(key.size() + 1);
  return "";
}

// ppid and state from /proc/PID/stat; the command name may hold spaces and
// parentheses, so parse after the last ')'.
struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
};
std::optional<ProcStat> proc_stat(pid_t pid) {
  std::string s = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  if (s.empty() || close == std::string::npos) return std::nullopt;
  std::istringstream in(s.substr(close + 1));
  ProcStat ps;
  in >> ps.state >> ps.ppid;
  return ps;
}

bool alive(pid_t pid) {
  auto st = proc_stat(pid);
  return st && st->state != 'Z';
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (auto st = proc_stat(pid); st && st->ppid == parent && st->state != 'Z') out.push_back(pid);
  }
  return out;
}

std::vector<std::string> split0(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\0') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

int free_port() {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  return ntohs(sa.sin_port);
}

Fd connect_unix(const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return Fd();
  return fd;
}

Fd connect_tcp(int port) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return Fd();
  return fd;
}

// Reads one reply line within the limit; nullopt on timeout or EOF.
std::optional<std::string> read_line(const Fd& fd, std::chrono::milliseconds limit) {
  std::string got;
  auto deadline = Clock::now() + limit;
  while (got.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[256];
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    got.append(buf, static_cast<size_t>(n));
  }
  return got.substr(0, got.find('\n'));
}

std::optional<std::string> ask(const Fd& fd, const std::string& line, std::chrono::milliseconds limit = 10s) {
  if (!fd) return std::nullopt;
  std::string out = line + "\n";
  if (write(fd.get(), out.data(), out.size()) != static_cast<ssize_t>(out.size())) return std::nullopt;
  return read_line(fd, limit);
}

std::string mail_owner() {
  if (geteuid() == 0) return "nobody";
  passwd* pw = getpwuid(getuid());
  REQUIRE(pw);
  return pw->pw_name;
}

// Runs a program with stdout+stderr to a file; returns its pid.
pid_t start_program(const std::vector<std::string>& argv, const std::string& out) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> v;
    for (auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
    v.push_back(nullptr);
    execv(v[0], v.data());
    _exit(127);
  }
  return pid;
}

// Waits for a child of the test; the exit code, 1000 + signal, or -1 on timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  int result = -1;
  eventually(
      [&] {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r != pid) return false;
        result = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
        return true;
      },
      limit);
  return result;
}

// One instance: config and queue in a temp dir, one master.
struct Instance {
  std::string dir;
  std::string master_bin = builddir() + "/libexec/master";
  std::string echo = builddir() + "/t/master/echo_daemon";
  pid_t master = -1;

  explicit Instance(const std::string& master_cf, const std::string& extra_main_cf = "") {
    char tmpl[] = "/tmp/buzon-mtest-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    REQUIRE(fs::exists(master_bin));
    REQUIRE(fs::exists(echo));
    write_file(dir + "/main.cf", "queue_directory = " + dir + "/queue\n"
                                 "daemon_directory = " + builddir() + "/t/master\n"
                                 "mail_owner = " + mail_owner() + "\n"
                                 "inet_interfaces = 127.0.0.1\n"
                                 "service_throttle_time = 60s\n" + extra_main_cf);
    write_master_cf(master_cf);
  }
  ~Instance() {
    if (master > 0 && alive(master)) {
      // Children first: killed after master they would linger as orphans.
      for (pid_t c : children_of(master)) kill(c, SIGKILL);
      kill(master, SIGKILL);
    }
    if (master > 0) wait_exit(master, 5s);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write_master_cf(const std::string& text) { write_file(dir + "/master.cf", text); }
  std::string log() const { return slurp(dir + "/master.log"); }
  bool log_has(const std::string& s, std::chrono::milliseconds limit = 10s) const {
    return eventually([&] { return log().find(s) != std::string::npos; }, limit);
  }
  std::string sock(const std::string& name, bool is_private = true) const {
    return dir + "/queue/" + (is_private ? "private/" : "public/") + name;
  }
  void start() {
    master = start_program({master_bin, "-c", dir, "-d"}, dir + "/master.log");
    REQUIRE(log_has("daemon started -- version"));
  }
  // Runs a master that is expected to exit at once; returns its exit code.
  int run_to_exit(const std::string& logname) {
    pid_t p = start_program({master_bin, "-c", dir, "-d"}, dir + "/" + logname);
    int rc = wait_exit(p, 10s);
    if (rc < 0) kill(p, SIGKILL), wait_exit(p, 5s);
    return rc;
  }
  int stop(int sig, std::chrono::milliseconds limit = 20s) {
    kill(master, sig);
    int rc = wait_exit(master, limit);
    if (rc >= 0) master = -1;
    return rc;
  }
  std::vector<pid_t> children() const { return children_of(master); }
  // The child whose argv names service (-n SERVICE).
  std::vector<pid_t> children_named(const std::string& service) const {
    std::vector<pid_t> out;
    for (pid_t p : children()) {
      auto argv = split0(slurp("/proc/" + std::to_string(p) + "/cmdline"));
      for (size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == "-n" && argv[i + 1] == service) out.push_back(p);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("master: start, pid file, a second master is refused, SIGTERM stops", "[master]") {
  Instance in("echo unix - n n - 2 echo_daemon tag=one\n");
  in.start();
  char pid_text[16];
  std::snprintf(pid_text, sizeof pid_text, "%10d\n", static_cast<int>(in.master));
  CHECK(slurp(in.dir + "/queue/pid/master.pid") == pid_text);
  for (const char* d : {"tmp", "incoming", "active", "deferred", "hold", "corrupt", "private", "public", "pid"})
    CHECK(fs::is_directory(in.dir + "/queue/" + d));
  CHECK(fs::is_socket(in.sock("echo")));
  CHECK(in.children().empty());  // fork on demand: nobody asked yet

  CHECK(in.run_to_exit("second.log") == 1);
  CHECK(slurp(in.dir + "/second.log").find("fatal: the Buzon mail system is already running") !=
        std::string::npos);
  CHECK(slurp(in.dir + "/queue/pid/master.pid") == pid_text);
  CHECK(ask(connect_unix(in.sock("echo")), "still there"));

  CHECK(in.stop(SIGTERM) == 0);
  CHECK(in.log().find("terminating on signal 15") != std::string::npos);
  CHECK_FALSE(fs::exists(in.dir + "/queue/pid/master.pid"));
}

TEST_CASE("master: SIGINT stops a foreground master", "[master]") {
  Instance in("echo unix - n n - 2 echo_daemon\n");
  in.start();
  CHECK(in.stop(SIGINT) == 0);
  CHECK(in.log().find("terminating on signal 2") != std::string::npos);
}

TEST_CASE("master: fork on demand up to maxproc; argv, -o and environment reach the child", "[master]") {
  Instance in("echo unix - - n - 2 echo_daemon -o max_idle=77s tag=one show=max_idle\n");
  in.start();
  Fd c1 = connect_unix(in.sock("echo"));
  auto r1 = ask(c1, "a");
  REQUIRE(r1);
  CHECK(field(*r1, "tag") == "one");
  CHECK(field(*r1, "service") == "echo");
  CHECK(field(*r1, "max_idle") == "77s");  // -o reached the daemon's configuration
  CHECK(field(*r1, "line") == "a");
  // unpriv '-' (y): as root the child runs as mail_owner.
  CHECK(field(*r1, "uid") == std::to_string(geteuid() == 0 ? getpwnam("nobody")->pw_uid : getuid()));
  pid_t a = std::stoi(field(*r1, "pid"));

  Fd c2 = connect_unix(in.sock("echo"));
  auto r2 = ask(c2, "b");  // the first is busy (client_limit 1): a second process
  REQUIRE(r2);
  pid_t b = std::stoi(field(*r2, "pid"));
  CHECK(b != a);
  auto kids = in.children();
  CHECK(std::set<pid_t>(kids.begin(), kids.end()) == std::set<pid_t>{a, b});

  // maxproc + 1: the third client waits; no third process.
  Fd c3 = connect_unix(in.sock("echo"));
  REQUIRE(c3);
  std::string line = "c\n";
  REQUIRE(write(c3.get(), line.data(), line.size()) == 2);
  CHECK_FALSE(read_line(c3, 500ms));
  CHECK(in.children().size() == 2);
  c1.reset();  // a is free again and takes the waiting client
  auto r3 = read_line(c3, 10s);
  REQUIRE(r3);
  CHECK(field(*r3, "pid") == std::to_string(a));

  std::string proc = "/proc/" + std::to_string(a);
  std::vector<std::string> want{"echo_daemon", "-c", in.dir, "-n", "echo", "-t", "unix"};
  if (geteuid() == 0) want.push_back("-u");
  for (const char* w : {"-o", "max_idle=77s", "tag=one", "show=max_idle"}) want.push_back(w);
  CHECK(split0(slurp(proc + "/cmdline")) == want);
  for (const auto& e : split0(slurp(proc + "/environ"))) {
    INFO(e);
    CHECK((e.starts_with("TZ=") || e.starts_with("LANG=") || e.starts_with("MAIL_CONFIG=")));
  }
  auto env = split0(slurp(proc + "/environ"));
  CHECK(std::find(env.begin(), env.end(), "MAIL_CONFIG=" + in.dir) != env.end());
  // Nothing of master's leaks: no pid file, no other service's socket.
  for (const auto& e : fs::directory_iterator(proc + "/fd")) {
    std::error_code ec;
    auto target = fs::read_symlink(e.path(), ec).string();
    CHECK(target.find("master.pid") == std::string::npos);
    if (target.find("master.log") != std::string::npos) CHECK(std::stoi(e.path().filename()) <= 2);
  }
  CHECK(in.stop(SIGTERM) == 0);
}

TEST_CASE("master: inet listeners on a named address and on inet_interfaces", "[master]") {
  int p1 = free_port(), p2 = free_port();
  Instance in("127.0.0.1:" + std::to_string(p1) + " inet n - n - 1 echo_daemon tag=named\n" +
              std::to_string(p2) + " inet n - n - 1 echo_daemon tag=wild\n");
  in.start();
  auto r1 = ask(connect_tcp(p1), "x");
  REQUIRE(r1);
  CHECK(field(*r1, "tag") == "named");
  CHECK(field(*r1, "service") == "127.0.0.1:" + std::to_string(p1));
  auto r2 = ask(connect_tcp(p2), "y");
  REQUIRE(r2);
  CHECK(field(*r2, "tag") == "wild");
  CHECK(in.stop(SIGTERM) == 0);
}

TEST_CASE("master: configuration and bind errors are fatal with file:line", "[master]") {
  SECTION("master.cf syntax") {
    Instance in("echo unix - n n - 2 echo_daemon\nbad unix - n n - many echo_daemon\n");
    CHECK(in.run_to_exit("master.log") == 1);
    CHECK(in.log().find("fatal: " + in.dir + "/master.cf:2:") != std::string::npos);
  }
  SECTION("main.cf") {
    Instance in("echo unix - n n - 2 echo_daemon\n", "no_such_parameter_xyz = 1\n");
    CHECK(in.run_to_exit("master.log") == 1);
    CHECK(in.log().find("fatal: " + in.dir + "/main.cf:6:") != std::string::npos);
  }
  SECTION("address in use") {
    Fd busy(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(busy.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(listen(busy.get(), 1) == 0);
    socklen_t len = sizeof sa;
    REQUIRE(getsockname(busy.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    std::string addr = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
    Instance in("echo unix - n n - 2 echo_daemon\n" + addr + " inet n - n - 1 echo_daemon\n");
    CHECK(in.run_to_exit("master.log") == 1);
    CHECK(in.log().find("fatal: " + in.dir + "/master.cf:2: bind " + addr + ": Address already in use") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(in.dir + "/queue/pid/master.pid"));
  }
  SECTION("duplicate service") {
    Instance in("echo unix - n n - 2 echo_daemon\necho unix - n n - 1 echo_daemon\n");
    CHECK(in.run_to_exit("master.log") == 1);
    CHECK(in.log().find("fatal: " + in.dir + "/master.cf:2: duplicate service") != std::string::npos);
  }
}

TEST_CASE("master: a crashed child is replaced without throttling", "[master]") {
  Instance in("echo unix - n n - 1 echo_daemon\n");
  in.start();
  auto r1 = ask(connect_unix(in.sock("echo")), "a");
  REQUIRE(r1);
  pid_t a = std::stoi(field(*r1, "pid"));
  REQUIRE(kill(a, SIGKILL) == 0);
  CHECK(in.log_has("warning: process " + in.echo + " pid " + std::to_string(a) + " killed by signal 9"));
  // It had served a client, so this is a crash, not a bad startup: the next
  // client is served at once (a throttle would hold it for 60 s).
  auto r2 = ask(connect_unix(in.sock("echo")), "b", 10s);
  REQUIRE(r2);
  CHECK(field(*r2, "pid") != std::to_string(a));
  CHECK(in.log().find("bad command startup") == std::string::npos);
  CHECK(in.stop(SIGTERM) == 0);
}

TEST_CASE("master: a command that cannot start is throttled", "[master]") {
  Instance in("broken unix - n n - 1 echo_daemon fail\nok unix - n n - 1 echo_daemon tag=ok\n",
              "service_throttle_time = 2s\n");
  in.start();
  Fd waiting = connect_unix(in.sock("broken"));  // stays in the backlog: master retries for it
  REQUIRE(waiting);
  REQUIRE(in.log_has(in.echo + ": bad command startup -- throttling"));
  auto throttled_at = Clock::now();
  CHECK(count_of(in.log(), "exit status 1") == 1);
  // Other services are unaffected.
  auto ok = ask(connect_unix(in.sock("ok")), "fine");
  REQUIRE(ok);
  CHECK(field(*ok, "tag") == "ok");
  // The next attempt only after service_throttle_time.
  REQUIRE(eventually([&] { return count_of(in.log(), "exit status 1") >= 2; }, 10s));
  auto waited = Clock::now() - throttled_at;
  CHECK(waited >= 1500ms);
  CHECK(waited < 8s);
  CHECK(in.stop(SIGTERM) == 0);
}

TEST_CASE("master: wakeup triggers at start, periodically and after the child dies", "[master]") {
  Instance in(
      "tick unix - n n 1 1 echo_daemon record=DIR/tick\n"
      "once unix - n n 3600 1 echo_daemon record=DIR/once\n");
  std::string cf = slurp(in.dir + "/master.cf");
  for (size_t at; (at = cf.find("DIR")) != std::string::npos;) cf.replace(at, 3, in.dir);
  in.write_master_cf(cf);
  in.start();
  // At start, and then every second.
  CHECK(eventually([&] { return slurp(in.dir + "/tick").size() >= 3; }, 10s));
  CHECK(slurp(in.dir + "/tick").find_first_not_of('W') == std::string::npos);
  // wakeup 3600: only the start trigger ...
  REQUIRE(eventually([&] { return slurp(in.dir + "/once") == "W"; }, 10s));
  auto once = in.children_named("once");
  REQUIRE(once.size() == 1);
  // ... until the child dies: the next one is started right away.
  kill(once[0], SIGKILL);
  CHECK(eventually([&] { return slurp(in.dir + "/once") == "WW"; }, 10s));
  CHECK(eventually([&] {
    auto now = in.children_named("once");
    return now.size() == 1 && now[0] != once[0];
  }, 10s));
  CHECK(in.stop(SIGTERM) == 0);
}

TEST_CASE("master: SIGHUP reloads; sessions in progress survive, listeners are kept", "[master]") {
  Instance in("echo unix - n n - 2 echo_daemon tag=one\ngone unix - n n - 1 echo_daemon tag=gone\n");
  in.start();
  Fd c1 = connect_unix(in.sock("echo"));
  auto r1 = ask(c1, "before");
  REQUIRE(r1);
  pid_t a = std::stoi(field(*r1, "pid"));
  struct stat before{};
  REQUIRE(stat(in.sock("echo").c_str(), &before) == 0);

  in.write_master_cf("echo unix - n n - 2 echo_daemon tag=two\nadded unix - n n - 1 echo_daemon tag=added\n");
  kill(in.master, SIGHUP);
  REQUIRE(in.log_has("reload -- version"));
  CHECK(in.log().find("configuration " + in.dir) != std::string::npos);

  // The session that began before the reload goes on with the old process.
  auto r2 = ask(c1, "during");
  REQUIRE(r2);
  CHECK(field(*r2, "pid") == std::to_string(a));
  CHECK(field(*r2, "tag") == "one");
  // New clients get a process with the new configuration.
  auto r3 = ask(connect_unix(in.sock("echo")), "new");
  REQUIRE(r3);
  CHECK(field(*r3, "pid") != std::to_string(a));
  CHECK(field(*r3, "tag") == "two");
  // Same service name and type: the very same socket.
  struct stat after{};
  REQUIRE(stat(in.sock("echo").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  // Removed and added services.
  CHECK_FALSE(fs::exists(in.sock("gone")));
  auto r4 = ask(connect_unix(in.sock("added")), "hi");
  REQUIRE(r4);
  CHECK(field(*r4, "tag") == "added");
  // The old process exits once its client is done, and that is no crash.
  c1.reset();
  CHECK(eventually([&] { return !alive(a); }, 10s));
  INFO(in.log());
  CHECK(in.log().find("pid " + std::to_string(a)) == std::string::npos);

  // A broken configuration changes nothing.
  in.write_master_cf("echo unix - n n - 2 echo_daemon tag=three\nthis is not a service line\n");
  kill(in.master, SIGHUP);
  REQUIRE(in.log_has("reload aborted"));
  CHECK(in.log().find(in.dir + "/master.cf:2:") != std::string::npos);
  auto r5 = ask(connect_unix(in.sock("echo")), "still");
  REQUIRE(r5);
  CHECK(field(*r5, "tag") == "two");
  CHECK(alive(in.master));
  CHECK(in.stop(SIGTERM) == 0);
}

TEST_CASE("master: stop waits for busy children, SIGKILLs those that hang", "[master]") {
  Instance in("echo unix - n n - 1 echo_daemon\nstubborn unix - n n - 1 echo_daemon stubborn\n");
  in.start();
  Fd c1 = connect_unix(in.sock("echo"));
  auto r1 = ask(c1, "busy");
  REQUIRE(r1);
  pid_t a = std::stoi(field(*r1, "pid"));
  Fd c2 = connect_unix(in.sock("stubborn"));
  auto r2 = ask(c2, "busy");
  REQUIRE(r2);
  pid_t s = std::stoi(field(*r2, "pid"));

  auto t0 = Clock::now();
  kill(in.master, SIGTERM);
  // The busy child finishes within its own grace period (lib/daemon: 5 s).
  CHECK(eventually([&] { return !alive(a); }, 9s));
  int rc = wait_exit(in.master, 20s);
  auto took = Clock::now() - t0;
  CHECK(rc == 0);
  if (rc >= 0) in.master = -1;
  CHECK(took >= 9s);  // it waited kStopWait (10 s) for the stubborn one
  CHECK(took < 18s);
  CHECK_FALSE(alive(s));
  std::string log = slurp(in.dir + "/master.log");
  CHECK(log.find("terminating on signal 15") != std::string::npos);
  CHECK(log.find("pid " + std::to_string(s) + " did not stop: sending SIGKILL") != std::string::npos);
  CHECK_FALSE(fs::exists(in.dir + "/queue/pid/master.pid"));
}
