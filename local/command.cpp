#include "local/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "local/mbox.h"

namespace buzon::local {
namespace {

struct ExitInfo {
  int code;
  const char* dsn;
  const char* text;
};
// Postfix sys_exits.c.
constexpr ExitInfo kExits[] = {
    {EX_USAGE, "5.3.0", "command line usage error"},  {EX_DATAERR, "5.6.0", "data format error"},
    {EX_NOINPUT, "5.3.0", "cannot open input"},        {EX_NOUSER, "5.1.1", "user unknown"},
    {EX_NOHOST, "5.1.2", "host name unknown"},         {EX_UNAVAILABLE, "5.3.0", "service unavailable"},
    {EX_SOFTWARE, "5.3.0", "internal software error"}, {EX_OSERR, "4.3.0", "system resource problem"},
    {EX_OSFILE, "5.3.0", "critical OS file missing"},  {EX_CANTCREAT, "5.2.0", "can't create user output file"},
    {EX_IOERR, "5.3.0", "input/output error"},         {EX_TEMPFAIL, "4.3.0", "temporary failure"},
    {EX_PROTOCOL, "5.5.0", "remote error in protocol"}, {EX_NOPERM, "5.7.0", "permission denied"},
    {EX_CONFIG, "5.3.5", "local configuration error"},
};

// "5.1.1 text" at the start of the output: RFC 3463 class.subject.detail.
std::string leading_dsn(const std::string& out) {
  size_t i = 0;
  if (out.empty() || (out[0] != '2' && out[0] != '4' && out[0] != '5')) return "";
  i = 1;
  for (int part = 0; part < 2; ++part) {
    if (i >= out.size() || out[i] != '.') return "";
    size_t start = ++i;
    while (i < out.size() && i - start < 3 && out[i] >= '0' && out[i] <= '9') ++i;
    if (i == start) return "";
  }
  if (i < out.size() && out[i] != ' ' && out[i] != '\t' && out[i] != '\n') return "";
  return out.substr(0, i);
}

std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return std::string(str::trim(str::sanitize(out, kOutputMax)));
}

std::string with_output(std::string reason, const std::string& output) {
  std::string o = one_line(output);
  if (!o.empty()) reason += ". Command output: " + o;
  return reason;
}

}  // namespace

std::string env_safe(std::string_view value) {
  // Postfix's default command_expansion_filter.
  static constexpr std::string_view kOk =
      "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out(value);
  for (char& c : out)
    if (kOk.find(c) == std::string_view::npos) c = '_';
  return out;
}

Reply command_reply(const std::string& command, int wait_status, bool timed_out, const std::string& output) {
  std::string cmd = "\"" + str::sanitize(command, 200) + "\"";
  if (timed_out) return Reply::bounce("5.3.0", with_output("Command time limit exceeded: " + cmd, output));
  if (WIFSIGNALED(wait_status))
    return Reply::defer("4.3.0", with_output("Command died with signal " + std::to_string(WTERMSIG(wait_status)) +
                                                 ": " + cmd, output));
  int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1;
  if (code == 0) return Reply::sent("delivered to command: " + str::sanitize(command, 200));
  std::string dsn = "5.3.0";
  for (const ExitInfo& e : kExits)
    if (e.code == code) dsn = e.dsn;
  std::string from_output = leading_dsn(output);
  if (!from_output.empty() && from_output[0] != '2') dsn = from_output;
  std::string reason = with_output("Command died with status " + std::to_string(code) + ": " + cmd, output);
  return dsn[0] == '4' ? Reply::defer(dsn, reason) : Reply::bounce(dsn, reason);
}

Reply run_command(const CommandSpec& spec, const Message& msg, long long now) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) return Reply::defer("4.3.0", "cannot run command", sys_error("pipe").message);
  Fd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) return Reply::defer("4.3.0", "cannot run command", sys_error("pipe").message);
  Fd out_r(out[0]), out_w(out[1]);
  std::vector<char*> envp;
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return Reply::defer("4.3.0", "cannot run command", sys_error("fork").message);
  if (pid == 0) {
    // Its own process group, so a time-out kills the whole pipeline.
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGXFSZ, SIG_DFL);
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(out_w.get(), 2);
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) < 0) ::_exit(EX_TEMPFAIL);
    const char* argv[] = {"sh", "-c", spec.command.c_str(), nullptr};
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    ::_exit(EX_OSERR);
  }
  in_r.reset();
  out_w.reset();
  // A command may exit without reading all of its input; that is its
  // answer (its exit status), not a reason to die of SIGPIPE in the caller.
  // The daemon ignores SIGPIPE already; callers without it (tests) too now.
  struct sigaction ignore {}, saved {};
  ignore.sa_handler = SIG_IGN;
  ::sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &saved);
  struct RestoreSigpipe {
    struct sigaction old;
    ~RestoreSigpipe() { ::sigaction(SIGPIPE, &old, nullptr); }
  } restore{saved};
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);

  // The input: envelope line and headers, then the queued content. It is
  // produced in pieces while the output is drained, so a command that
  // writes a lot before reading cannot deadlock with us.
  std::string pending = from_line(msg.sender, static_cast<time_t>(now)) + delivery_headers(msg);
  unsigned long long content_left = msg.content_size;
  off_t at = msg.content_offset;
  std::string output;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + spec.time_limit;
  bool reading = true;
  while (reading) {
    if (in_w && pending.empty() && content_left > 0) {
      size_t want = content_left < kChunk ? static_cast<size_t>(content_left) : kChunk;
      pending.resize(want);
      ssize_t n = ::pread(msg.fd, pending.data(), want, at);
      if (n <= 0) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        return Reply::defer("4.3.0", "cannot read queue file");
      }
      pending.resize(static_cast<size_t>(n));
      content_left -= static_cast<unsigned long long>(n);
      at += n;
    }
    if (in_w && pending.empty() && content_left == 0) in_w.reset();  // EOF for the command
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[2] = {{out_r.get(), POLLIN, 0}, {in_w ? in_w.get() : -1, POLLOUT, 0}};
    int rc = ::poll(p, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    if (p[0].revents) {
      char buf[4096];
      ssize_t n = ::read(out_r.get(), buf, sizeof buf);
      if (n > 0) {
        if (output.size() < kOutputMax) output.append(buf, std::min<size_t>(static_cast<size_t>(n), kOutputMax - output.size()));
      } else if (n == 0 || errno != EAGAIN) {
        reading = false;  // the command (and its children) closed the output
      }
    }
    if (in_w && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(in_w.get(), pending.data(), pending.size());
      if (n > 0) pending.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        // The command stopped reading (EPIPE): what it did is told by its
        // exit status, as in Postfix.
        in_w.reset();
        pending.clear();
        content_left = 0;
      }
    }
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  // Output closed but the command still runs (it closed stdout itself):
  // wait for it within the same time limit.
  for (;;) {
    pid_t r = ::waitpid(pid, &status, timed_out ? 0 : WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (r == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        continue;
      }
      ::usleep(10000);
    }
  }
  return command_reply(spec.command, status, timed_out, output);
}

}  // namespace buzon::local
