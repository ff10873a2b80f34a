// buzon start | stop | reload | status | flush: the life cycle of master,
// which runs in the foreground of its own process and holds an fcntl lock
// on queue_directory/pid/master.pid while it lives (pid_lock.h).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/check.h"
#include "cli/commands.h"
#include "cli/pid_lock.h"
#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"

namespace buzon::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kStartDeadline{10};
// master gives its children up to 10 s to finish on SIGTERM.
constexpr std::chrono::seconds kStopDeadline{20};
constexpr std::chrono::milliseconds kPollInterval{20};
constexpr size_t kLogTailLines = 10;
constexpr size_t kLogTailBytes = 65536;

void fatal(const std::string& msg) { std::fprintf(stderr, "buzon: fatal: %s\n", msg.c_str()); }

void pause_briefly() { ::poll(nullptr, 0, static_cast<int>(kPollInterval.count())); }

std::optional<config::MainCf> load(const std::string& config_dir) {
  auto cf = config::MainCf::load(config_dir);
  if (!cf) {
    fatal(cf.error().message);
    return std::nullopt;
  }
  return std::move(*cf);
}

// pid of the running master, 0 when none; nullopt after printing an error.
std::optional<pid_t> running_master(const config::MainCf& cf) {
  auto pid = lock_holder(master_pid_file(cf.get("queue_directory")));
  if (!pid) {
    fatal(pid.error().message);
    return std::nullopt;
  }
  return *pid;
}

// For stop and reload: the running master's pid, or nullopt after saying
// why there is none to signal.
std::optional<pid_t> master_to_signal(const config::MainCf& cf) {
  auto pid = running_master(cf);
  if (pid && *pid == 0) {
    fatal("the Buzon mail system is not running");
    return std::nullopt;
  }
  return pid;
}

off_t file_size(const std::string& path) {
  struct stat st;
  return path.empty() || ::stat(path.c_str(), &st) < 0 ? 0 : st.st_size;
}

// The last lines master logged since offset: why it did not start.
void print_log_tail(const std::string& path, off_t offset) {
  if (path.empty()) return;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return;
  off_t size = file_size(path);
  if (size < offset) offset = 0;  // rotated meanwhile
  if (size - offset > static_cast<off_t>(kLogTailBytes)) offset = size - static_cast<off_t>(kLogTailBytes);
  std::string text(static_cast<size_t>(size - offset), '\0');
  ssize_t n = ::pread(fd.get(), text.data(), text.size(), offset);
  if (n <= 0) return;
  text.resize(static_cast<size_t>(n));
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  size_t first = lines.size() > kLogTailLines ? lines.size() - kLogTailLines : 0;
  for (size_t i = first; i < lines.size(); ++i) std::fprintf(stderr, "buzon: %s: %s\n", path.c_str(), lines[i].c_str());
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
  return "stopped";
}

struct Spawned {
  pid_t pid;
  Fd ready;  // master writes one byte here once its listeners are bound
};

// Runs master detached: its own session, no terminal, stdio on /dev/null.
// Returns once exec succeeded; exec errors come back through a close-on-exec
// pipe. A second pipe, handed to master as fd 3 (BUZON_READY_FD), says when
// it is really serving: a bind error after the pid lock is a failed start.
Result<Spawned> spawn_master(const std::string& master, const std::string& config_dir) {
  int p[2], r[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return sys_error("pipe");
  Fd rd(p[0]), wr(p[1]);
  if (::pipe2(r, O_CLOEXEC) < 0) return sys_error("pipe");
  Fd ready_rd(r[0]), ready_wr(r[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    if (::chdir("/") < 0) _exit(127);
    if (::dup2(ready_wr.get(), 3) < 0) _exit(127);  // dup2 clears close-on-exec
    ::setenv("BUZON_READY_FD", "3", 1);
    // Dispositions set to SIG_IGN survive exec; master wants the defaults.
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {"master", "-c", config_dir.c_str(), nullptr};
    ::execv(master.c_str(), const_cast<char* const*>(argv));
    int e = errno;
    (void)!::write(wr.get(), &e, sizeof e);
    _exit(127);
  }
  wr.reset();
  ready_wr.reset();
  int e = 0;
  ssize_t n;
  do n = ::read(rd.get(), &e, sizeof e);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof e)) {
    ::waitpid(pid, nullptr, 0);
    errno = e;
    return sys_error("execute " + master);
  }
  return Spawned{pid, std::move(ready_rd)};
}

enum class Startup { Ready, Exited, Timeout };

// Waits for master's ready byte. End of file means master exited: only its
// exit closes the pipe before it is ready.
Startup wait_ready(int fd, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  int n;
  do n = ::poll(&p, 1, static_cast<int>(limit.count()));
  while (n < 0 && errno == EINTR);
  if (n <= 0) return Startup::Timeout;
  char byte = 0;
  return ::read(fd, &byte, 1) == 1 && byte == 'R' ? Startup::Ready : Startup::Exited;
}

}  // namespace

int cmd_start(const std::string& config_dir) { return start_within(config_dir, kStartDeadline); }

int start_within(const std::string& config_dir, std::chrono::milliseconds start_deadline) {
  auto report = check_config(config_dir);
  if (print_check(report) != 0) {
    fatal("not started: fix the errors above");
    return 1;
  }
  const config::MainCf& cf = *report.cf;
  auto running = running_master(cf);
  if (!running) return 1;
  if (*running > 0) {
    fatal("the Buzon mail system is already running (pid " + std::to_string(*running) + ")");
    return 1;
  }

  char abs[PATH_MAX];
  if (!::realpath(config_dir.c_str(), abs)) {
    fatal(sys_error(config_dir).message);
    return 1;
  }
  std::string maillog = cf.get("maillog_file");
  off_t log_offset = file_size(maillog);
  std::string master = cf.get("daemon_directory") + "/master";
  auto spawned = spawn_master(master, abs);
  if (!spawned) {
    fatal(spawned.error().message);
    return 1;
  }
  pid_t pid = spawned->pid;

  // Started means: master holds its lock, bound every listener and said so.
  Startup how = wait_ready(spawned->ready.get(), start_deadline);
  if (how == Startup::Ready) {
    std::printf("buzon: started (pid %d)\n", static_cast<int>(pid));
    return 0;
  }
  int status = 0;
  if (how == Startup::Timeout) {
    // Alive but not serving by the deadline: do not leave it half-started.
    ::kill(pid, SIGTERM);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(start_deadline.count()) / 1000);
    fatal("master (pid " + std::to_string(pid) + ") was not serving within " + secs + " seconds; sent it SIGTERM");
  }
  ::waitpid(pid, &status, 0);
  if (how == Startup::Exited) fatal("master " + describe_status(status) + " during startup");
  print_log_tail(maillog, log_offset);
  return 1;
}

int cmd_stop(const std::string& config_dir) {
  auto cf = load(config_dir);
  if (!cf) return 1;
  auto pid = master_to_signal(*cf);
  if (!pid) return 1;
  if (::kill(*pid, SIGTERM) < 0 && errno != ESRCH) {
    fatal(sys_error("kill " + std::to_string(*pid)).message);
    return 1;
  }
  std::string pid_file = master_pid_file(cf->get("queue_directory"));
  auto deadline = Clock::now() + kStopDeadline;
  for (;;) {
    auto holder = lock_holder(pid_file);
    if (holder && *holder == 0) {
      std::printf("buzon: stopped (pid %d)\n", static_cast<int>(*pid));
      return 0;
    }
    if (Clock::now() >= deadline) break;
    pause_briefly();
  }
  fatal("master (pid " + std::to_string(*pid) + ") is still running " + std::to_string(kStopDeadline.count()) +
        " seconds after SIGTERM");
  return 1;
}

int cmd_reload(const std::string& config_dir) {
  auto cf = load(config_dir);
  if (!cf) return 1;
  auto pid = master_to_signal(*cf);
  if (!pid) return 1;
  if (::kill(*pid, SIGHUP) < 0) {
    fatal(sys_error("kill " + std::to_string(*pid)).message);
    return 1;
  }
  std::printf("buzon: refreshing the Buzon mail system (pid %d)\n", static_cast<int>(*pid));
  return 0;
}

int cmd_status(const std::string& config_dir) {
  auto cf = load(config_dir);
  if (!cf) return 1;
  auto pid = running_master(*cf);
  if (!pid) return 1;
  if (*pid == 0) {
    std::printf("buzon: the Buzon mail system is not running\n");
    return 1;
  }
  std::printf("buzon: the Buzon mail system is running: PID: %d\n", static_cast<int>(*pid));
  return 0;
}

int run_flush(const config::MainCf& cf, const char* prog) {
  // doc/internals.md: 'F' asks qmgr to retry the deferred queue now.
  if (auto s = queue::trigger_qmgr(cf.get("queue_directory"), 'F'); !s) {
    std::fprintf(stderr, "%s: fatal: cannot reach qmgr: %s\n", prog, s.error().message.c_str());
    return 1;
  }
  return 0;
}

int cmd_flush(const std::string& config_dir) {
  auto cf = load(config_dir);
  if (!cf) return 1;
  return run_flush(*cf, "buzon");
}

}  // namespace buzon::cli
