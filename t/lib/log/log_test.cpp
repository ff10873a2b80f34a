// lib/log: line format, sanitizing, maillog_file, stderr, fatal and panic.
// Everything that calls init() runs in a forked child so each test starts
// from the "before init" state and the test binary's own stderr stays clean.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "t/temp_dir.h"

using namespace buzon;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

config::MainCf cf_with(const std::string& text) {
  auto cf = config::MainCf::parse(text, "main.cf", "/etc/test");
  if (!cf) FAIL(cf.error().message);
  return std::move(cf).value();
}

// Runs body in a child with stderr sent to stderr_path; returns the wait status.
int in_child(const std::string& stderr_path, const std::function<void()>& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    std::signal(SIGABRT, SIG_DFL);  // not Catch2's handler: die, don't report
    int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::dup2(fd, 2) < 0) _exit(99);
    body();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

bool digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// "Mmm dd hh:mm:ss host IDENT[pid]: TEXT" with the day space-padded (RFC 3164).
bool syslog_shaped(std::string_view line, std::string_view ident, std::string_view text) {
  static const std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (line.size() < 16 || std::find(std::begin(kMonths), std::end(kMonths), line.substr(0, 3)) == std::end(kMonths))
    return false;
  std::string_view day = line.substr(4, 2), time = line.substr(7, 8);
  if (line[3] != ' ' || !(day[0] == ' ' || (day[0] >= '1' && day[0] <= '3')) || !digits(day.substr(1)))
    return false;
  if (!digits(time.substr(0, 2)) || time[2] != ':' || !digits(time.substr(3, 2)) || time[5] != ':' ||
      !digits(time.substr(6, 2)) || line[15] != ' ')
    return false;
  std::string_view rest = line.substr(16);
  size_t sp = rest.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  rest.remove_prefix(sp + 1);
  if (!rest.starts_with(std::string(ident) + "[")) return false;
  rest.remove_prefix(ident.size() + 1);
  size_t close = rest.find("]: ");
  if (close == std::string_view::npos || !digits(rest.substr(0, close))) return false;
  return rest.substr(close + 3) == text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("log: format is 'QID: k=v, k=v'", "[log]") {
  CHECK(log::format("4Xk2Lq1Z3vz", {{"from", "<a@example.org>"}, {"size", 2048}, {"nrcpt", 1}}) ==
        "4Xk2Lq1Z3vz: from=<a@example.org>, size=2048, nrcpt=1");
  CHECK(log::format("NOQUEUE", {{"reject", std::string("RCPT")}}) == "NOQUEUE: reject=RCPT");
  CHECK(log::format("NOQUEUE", {{"n", 18446744073709551615ULL}, {"m", -5LL}, {"u", 7u}, {"l", 9L}}) ==
        "NOQUEUE: n=18446744073709551615, m=-5, u=7, l=9");
  CHECK(log::format("Q", {}) == "Q:");
}

TEST_CASE("log: values cannot forge lines (CR, LF and other controls)", "[log]") {
  CHECK(log::format("Q", {{"helo", "evil\r\nQ: status=sent"}}) == "Q: helo=evil??Q: status=sent");
  CHECK(log::format("Q", {{"x", std::string_view("a\0b\tc\x7f", 6)}}) == "Q: x=a?b?c?");
  CHECK(log::format("Q\n", {{"k\n", "v"}}) == "Q?: k?=v");
  // Long values are cut, not passed whole.
  std::string f = log::format("Q", {{"reason", std::string(5000, 'x')}});
  CHECK(f.size() < 1100);
  CHECK(f.ends_with("x..."));
}

TEST_CASE("log: field values are cut beyond 1024 bytes, lines beyond 4096", "[log][limit]") {
  CHECK(log::format("Q", {{"v", std::string(1024, 'x')}}) == "Q: v=" + std::string(1024, 'x'));
  CHECK(log::format("Q", {{"v", std::string(1025, 'x')}}) == "Q: v=" + std::string(1024, 'x') + "...");
  TempDir dir;
  int status = in_child(dir.path + "/stderr", [] {
    log::info(std::string(4096, 'a'));
    log::info(std::string(4097, 'b'));
  });
  REQUIRE(WIFEXITED(status));
  auto lines = lines_of(dir.read("stderr"));
  REQUIRE(lines.size() == 2);
  std::string prog = program_invocation_short_name;
  CHECK(lines[0] == prog + ": " + std::string(4096, 'a'));
  CHECK(lines[1] == prog + ": " + std::string(4096, 'b') + "...");
}

TEST_CASE("log: before init(), messages go to stderr", "[log]") {
  TempDir dir;
  int status = in_child(dir.path + "/stderr", [] {
    log::info("plain text");
    log::warning("careful");
    log::info("QID", {{"k", "v"}});
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto lines = lines_of(dir.read("stderr"));
  REQUIRE(lines.size() == 3);
  std::string prog = program_invocation_short_name;
  CHECK(lines[0] == prog + ": plain text");
  CHECK(lines[1] == prog + ": warning: careful");
  CHECK(lines[2] == prog + ": QID: k=v");
}

TEST_CASE("log: maillog_file gets one syslog-shaped line per message", "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  int status = in_child(dir.path + "/stderr", [&] {
    log::init("smtpd", cf_with("syslog_name = test-buzon\nmaillog_file = " + maillog + "\n"));
    log::info("connect from client");
    log::info("4C1F", {{"from", "<a@example.org>"}, {"helo", "x\ny"}});
    log::warning("something odd");
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(dir.read("stderr").empty());
  auto lines = lines_of(dir.read("maillog"));
  REQUIRE(lines.size() == 3);
  CHECK(syslog_shaped(lines[0], "test-buzon/smtpd", "connect from client"));
  CHECK(syslog_shaped(lines[1], "test-buzon/smtpd", "4C1F: from=<a@example.org>, helo=x?y"));
  CHECK(syslog_shaped(lines[2], "test-buzon/smtpd", "warning: something odd"));
  CHECK_FALSE(syslog_shaped("Foo  1 00:00:00 h test-buzon/smtpd[1]: connect from client", "test-buzon/smtpd",
                            "connect from client"));
  CHECK_FALSE(syslog_shaped("Jan 01 00:00:00 h test-buzon/smtpd[1]: x", "test-buzon/smtpd", "x"));
  CHECK(syslog_shaped("Jan  1 00:00:00 h test-buzon/smtpd[1]: x", "test-buzon/smtpd", "x"));
  struct stat st;
  REQUIRE(::stat(maillog.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

namespace {

// In the calling child: a mount namespace of its own with an empty /dev,
// so that /dev/log is whatever the test puts there. Exits 77 (skip) where
// namespaces are not allowed (not root, or a container forbids them).
void private_dev() {
  if (::unshare(CLONE_NEWNS) < 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ||
      ::mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") < 0)
    _exit(77);
}

// A syslog daemon's socket at /dev/log; returns the datagram socket.
int listen_dev_log() {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, "/dev/log");
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) _exit(90);
  return fd;
}

// The next datagram on fd within ms milliseconds; "" when none came.
std::string next_datagram(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[2048];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Whether in_child exited with private_dev()'s "no namespace here".
bool no_namespace(int status) {
  if (WEXITSTATUS(status) != 77) return false;
  WARN("skipped: no mount namespace here (needs root; CI runs as root)");
  return true;
}

}  // namespace

TEST_CASE("log: lines reach the syslog daemon at /dev/log, facility mail", "[log]") {
  TempDir dir;
  int status = in_child(dir.path + "/stderr", [&] {
    private_dev();
    int fd = listen_dev_log();
    log::init("smtpd", cf_with("syslog_name = test-buzon\n"));
    log::info("4C1F: from=<a@example.org>");
    log::warning("something odd");
    std::string first = next_datagram(fd, 5000), second = next_datagram(fd, 5000);
    // <22> is mail.info and <20> mail.warning (RFC 3164 PRI = facility * 8 + severity).
    if (!first.starts_with("<22>") || first.find(" test-buzon/smtpd[") == std::string::npos) _exit(1);
    if (!first.ends_with("]: 4C1F: from=<a@example.org>")) _exit(2);
    if (!second.starts_with("<20>") || !second.ends_with("]: warning: something odd")) _exit(3);
  });
  REQUIRE(WIFEXITED(status));
  if (no_namespace(status)) return;
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("log: without /dev/log lines still reach maillog_file, and syslog is tried again after a minute, not per line",
          "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  int status = in_child(dir.path + "/stderr", [&] {
    private_dev();
    log::init("qmgr", cf_with("maillog_file = " + maillog + "\n"));
    log::info("before the socket");
    int fd = listen_dev_log();
    // A syslog daemon that starts now is looked for again within
    // kSyslogRetry (60 s), not at every line: each attempt to connect costs
    // four system calls, with about seven lines per message.
    log::info("after the socket");
    if (!next_datagram(fd, 300).empty()) _exit(4);
  });
  REQUIRE(WIFEXITED(status));
  if (no_namespace(status)) return;
  CHECK(WEXITSTATUS(status) == 0);
  auto lines = lines_of(dir.read("maillog"));
  REQUIRE(lines.size() == 2);
  CHECK(syslog_shaped(lines[0], "buzon/qmgr", "before the socket"));
  CHECK(syslog_shaped(lines[1], "buzon/qmgr", "after the socket"));
}

// The pid in "IDENT[pid]:" of a maillog_file line.
std::string pid_of_line(const std::string& line) {
  size_t open = line.find('['), close = line.find("]: ");
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return line.substr(open + 1, close - open - 1);
}

TEST_CASE("log: maillog_file lines carry the pid of the process that logs, also after a fork", "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  std::string pids = dir.path + "/pids";
  int status = in_child(dir.path + "/stderr", [&] {
    log::init("local", cf_with("maillog_file = " + maillog + "\n"));
    log::info("parent");
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child == 0) {
      log::info("child");
      _exit(0);
    }
    int st = 0;
    ::waitpid(child, &st, 0);
    std::ofstream(pids) << ::getpid() << " " << child << "\n";
  });
  REQUIRE(WIFEXITED(status));
  auto lines = lines_of(dir.read("maillog"));
  REQUIRE(lines.size() == 2);
  std::stringstream ss(dir.read("pids"));
  std::string parent, child;
  ss >> parent >> child;
  CHECK(syslog_shaped(lines[0], "buzon/local", "parent"));
  CHECK(pid_of_line(lines[0]) == parent);
  CHECK(syslog_shaped(lines[1], "buzon/local", "child"));
  CHECK(pid_of_line(lines[1]) == child);
}

TEST_CASE("log: maillog_file is appended to, never truncated", "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  std::ofstream(maillog) << "older line\n";
  for (int i = 0; i < 2; ++i) {
    int status = in_child(dir.path + "/stderr", [&] {
      log::init("qmgr", cf_with("maillog_file = " + maillog + "\n"));
      log::info("run " + std::to_string(i));
    });
    REQUIRE(WIFEXITED(status));
  }
  auto lines = lines_of(dir.read("maillog"));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "older line");
  CHECK(lines[1].ends_with("]: run 0"));
  CHECK(lines[2].ends_with("]: run 1"));
  CHECK(lines[1].find(" buzon/qmgr[") != std::string::npos);
}

TEST_CASE("log: an unwritable maillog_file is reported, not fatal", "[log]") {
  TempDir dir;
  int status = in_child(dir.path + "/stderr", [&] {
    log::also_stderr(true);
    log::init("local", cf_with("maillog_file = " + dir.path + "/no/such/dir/maillog\n"));
    log::info("still running");
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto lines = lines_of(dir.read("stderr"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "local: warning: open maillog_file " + dir.path + "/no/such/dir/maillog: No such file or directory");
  CHECK(lines[1] == "local: still running");
}

TEST_CASE("log: also_stderr copies lines as 'program: text'", "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  int status = in_child(dir.path + "/stderr", [&] {
    log::init("buzon", cf_with("maillog_file = " + maillog + "\n"));
    log::info("not on stderr");
    log::also_stderr(true);
    log::info("on stderr");
    log::warning("bad\rthing");
  });
  REQUIRE(WIFEXITED(status));
  CHECK(dir.read("stderr") == "buzon: on stderr\nbuzon: warning: bad?thing\n");
  CHECK(lines_of(dir.read("maillog")).size() == 3);
}

TEST_CASE("log: fatal logs and exits with status 1", "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  int status = in_child(dir.path + "/stderr", [&] {
    log::init("smtpd", cf_with("maillog_file = " + maillog + "\n"));
    log::fatal("cannot bind");
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  auto lines = lines_of(dir.read("maillog"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].ends_with("]: fatal: cannot bind"));

  // Before init, to stderr.
  status = in_child(dir.path + "/stderr", [] { log::fatal("no config"); });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(dir.read("stderr") == std::string(program_invocation_short_name) + ": fatal: no config\n");
}

TEST_CASE("log: panic logs file:line and aborts", "[log]") {
  TempDir dir;
  std::string maillog = dir.path + "/maillog";
  int line = 0;
  int status = in_child(dir.path + "/stderr", [&] {
    log::init("qmgr", cf_with("maillog_file = " + maillog + "\n"));
    MAIL_PANIC("queue file vanished");
  });
  line = __LINE__ - 2;  // the MAIL_PANIC line
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  auto lines = lines_of(dir.read("maillog"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].ends_with("log_test.cpp:" + std::to_string(line) + ": queue file vanished"));
  CHECK(lines[0].find("]: panic: ") != std::string::npos);
}
