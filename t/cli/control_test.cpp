#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/init.h"
#include "cli/pid_lock.h"
#include "lib/file/file.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;
using V = std::vector<std::string>;

namespace {

// An instance whose daemon_directory holds t/cli/fake_master as "master"
// and no-op smtpd, qmgr, local, authd and anvil, so that check passes.
struct FakeInstance {
  test::TempDir t;
  std::string dir;
  FakeInstance() {
    auto a = parse_init_args(V{t.path + "/inst", "--user", "alice:pw"});
    REQUIRE(a);
    auto p = plan_instance(*a, t.path + "/libexec");
    REQUIRE(p);
    REQUIRE(create_instance(*p));
    dir = p->dir;
    REQUIRE(file::make_dirs(t.path + "/libexec"));
    REQUIRE(::symlink((exe_dir() + "/fake_master").c_str(), (t.path + "/libexec/master").c_str()) == 0);
    for (const char* n : {"smtpd", "qmgr", "local", "virtual", "authd", "anvil", "pop3d"})
      REQUIRE(file::write_atomic(t.path + "/libexec/" + n, "#!/bin/sh\nexit 0\n", 0755));
  }
  pid_t holder() { return lock_holder(master_pid_file(dir + "/queue")).value(); }
  std::string log() { return file::read_file(dir + "/log/maillog", 1 << 20).value(); }
  ~FakeInstance() {
    if (pid_t p = lock_holder(master_pid_file(dir + "/queue")).value(); p > 0) ::kill(p, SIGKILL);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
};

struct Output {
  int rc;
  std::string out, err;
};

// Runs fn with stdout and stderr captured.
Output capture(const std::function<int()>& fn) {
  std::fflush(stdout);
  std::fflush(stderr);
  FILE* o = std::tmpfile();
  FILE* e = std::tmpfile();
  int saved_out = ::dup(1), saved_err = ::dup(2);
  ::dup2(::fileno(o), 1);
  ::dup2(::fileno(e), 2);
  int rc = fn();
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  auto slurp = [](FILE* f) {
    std::string s;
    std::rewind(f);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
  };
  return {rc, slurp(o), slurp(e)};
}

// Waits (polling, with a deadline) for pred.
bool eventually(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    ::usleep(10000);
  }
  return pred();
}

}  // namespace

TEST_CASE("control: start, status, second start, reload, stop", "[control]") {
  ::unsetenv("FAKE_MASTER");
  FakeInstance inst;
  auto st = capture([&] { return cmd_status(inst.dir); });
  CHECK(st.rc == 1);
  CHECK(st.out == "buzon: the Buzon mail system is not running\n");

  auto s = capture([&] { return cmd_start(inst.dir); });
  INFO(s.err);
  REQUIRE(s.rc == 0);
  pid_t pid = inst.holder();
  REQUIRE(pid > 0);
  CHECK(s.out == "buzon: started (pid " + std::to_string(pid) + ")\n");

  st = capture([&] { return cmd_status(inst.dir); });
  CHECK(st.rc == 0);
  CHECK(st.out == "buzon: the Buzon mail system is running: PID: " + std::to_string(pid) + "\n");

  auto again = capture([&] { return cmd_start(inst.dir); });
  CHECK(again.rc == 1);
  CHECK(again.err.find("already running (pid " + std::to_string(pid) + ")") != std::string::npos);

  auto r = capture([&] { return cmd_reload(inst.dir); });
  CHECK(r.rc == 0);
  CHECK(eventually([&] { return inst.log().find("reload\n") != std::string::npos; }));

  auto stop = capture([&] { return cmd_stop(inst.dir); });
  CHECK(stop.rc == 0);
  CHECK(stop.out == "buzon: stopped (pid " + std::to_string(pid) + ")\n");
  CHECK(inst.holder() == 0);
  CHECK(capture([&] { return cmd_status(inst.dir); }).rc == 1);
  auto stop2 = capture([&] { return cmd_stop(inst.dir); });
  CHECK(stop2.rc == 1);
  CHECK(stop2.err == "buzon: fatal: the Buzon mail system is not running\n");
  CHECK(capture([&] { return cmd_reload(inst.dir); }).rc == 1);
}

TEST_CASE("control: a master that exits at startup is reported with its log", "[control]") {
  FakeInstance inst;
  ::setenv("FAKE_MASTER", "exit", 1);
  auto s = capture([&] { return cmd_start(inst.dir); });
  ::unsetenv("FAKE_MASTER");
  CHECK(s.rc == 1);
  CHECK(s.err.find("buzon: fatal: master exited with status 3 during startup\n") != std::string::npos);
  CHECK(s.err.find("maillog: fake master: fatal: cannot bind 127.0.0.1:25\n") != std::string::npos);
  CHECK(inst.holder() == 0);
}

TEST_CASE("control: a master that never says ready is stopped at the deadline", "[control]") {
  FakeInstance inst;
  ::setenv("FAKE_MASTER", "nolock", 1);
  auto s = capture([&] { return start_within(inst.dir, std::chrono::milliseconds(300)); });
  ::unsetenv("FAKE_MASTER");
  CHECK(s.rc == 1);
  CHECK(s.err.find("was not serving within 0.3 seconds; sent it SIGTERM") != std::string::npos);
}

TEST_CASE("control: start refuses a configuration that check rejects", "[control]") {
  FakeInstance inst;
  REQUIRE(::unlink((inst.t.path + "/libexec/qmgr").c_str()) == 0);
  auto s = capture([&] { return cmd_start(inst.dir); });
  CHECK(s.rc == 1);
  CHECK(s.err.find("command qmgr:") != std::string::npos);
  CHECK(s.err.find("buzon: fatal: not started: fix the errors above\n") != std::string::npos);
  CHECK(inst.holder() == 0);
}

TEST_CASE("control: a missing daemon directory master is an exec error", "[control]") {
  FakeInstance inst;
  REQUIRE(::unlink((inst.t.path + "/libexec/master").c_str()) == 0);
  // check stops it before any exec.
  CHECK(capture([&] { return cmd_start(inst.dir); }).rc == 1);
}

TEST_CASE("control: flush without qmgr is an error", "[control]") {
  FakeInstance inst;
  auto f = capture([&] { return cmd_flush(inst.dir); });
  CHECK(f.rc == 1);
  CHECK(f.err.find("buzon: fatal: cannot reach qmgr") != std::string::npos);
}
