#include "master/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "lib/daemon/daemon.h"
#include "lib/log/log.h"

namespace buzon::master {

std::string command_path(const config::Service& s, const Settings& st) {
  if (!s.command.empty() && s.command.front() == '/') return s.command;
  return st.daemon_dir + "/" + s.command;
}

std::vector<std::string> daemon_argv(const config::Service& s, const Settings& st) {
  std::vector<std::string> v{s.command, "-c", st.config_dir, "-n", s.name, "-t", s.type};
  if (s.unprivileged && st.root) v.emplace_back("-u");
  if (s.chroot) v.emplace_back("-r");
  for (const auto& [name, value] : s.overrides) {
    v.emplace_back("-o");
    v.emplace_back(name + "=" + value);
  }
  // "--" keeps an argument that starts with '-' from being read as an option.
  if (!s.args.empty() && !s.args.front().empty() && s.args.front().front() == '-') v.emplace_back("--");
  v.insert(v.end(), s.args.begin(), s.args.end());
  return v;
}

std::vector<std::string> daemon_env(const char* const* environ, const std::string& config_dir,
                                    const std::vector<std::string>& import_environment) {
  std::vector<std::string> out;
  for (const std::string& item : import_environment) {
    if (item.find('=') != std::string::npos) {
      if (!item.starts_with("MAIL_CONFIG=")) out.push_back(item);
      continue;
    }
    if (item == "MAIL_CONFIG") continue;  // always master's own, below
    for (const char* const* e = environ; e && *e; ++e) {
      std::string_view kv = *e;
      if (kv.size() > item.size() && kv.starts_with(item) && kv[item.size()] == '=') {
        out.emplace_back(kv);
        break;
      }
    }
  }
  out.push_back("MAIL_CONFIG=" + config_dir);
  return out;
}

namespace {

void close_from(int lowest) {
  if (close_range(static_cast<unsigned>(lowest), UINT_MAX, 0) == 0) return;
  // Kernels before 5.9 (and some sandboxes) lack close_range.
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 1 << 20) max = 1 << 20;
  for (int fd = lowest; fd < max; ++fd) close(fd);
}

[[noreturn]] void exec_child(const std::string& path, char* const* argv, char* const* envp, int listen_fd,
                             int status_fd) {
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);  // fails harmlessly for KILL/STOP
  sigset_t none;
  sigemptyset(&none);
  // Copies above 4 first, so that dup2 onto 3 cannot clobber the other fd.
  int l = fcntl(listen_fd, F_DUPFD_CLOEXEC, daemon::kStatusFd + 1);
  int s = fcntl(status_fd, F_DUPFD_CLOEXEC, daemon::kStatusFd + 1);
  if (l < 0 || s < 0 || dup2(l, daemon::kListenFd) < 0 || dup2(s, daemon::kStatusFd) < 0) {
    log::warning(sys_error("cannot set up descriptors for " + path).message);
    _exit(127);
  }
  close_from(daemon::kStatusFd + 1);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(path.c_str(), argv, envp);
  log::warning(sys_error("cannot execute " + path).message);
  _exit(127);
}

}  // namespace

Result<pid_t> spawn(const std::string& path, const std::vector<std::string>& argv,
                    const std::vector<std::string>& env, int listen_fd, int status_fd) {
  // Build the C arrays before fork: the child should do as little as it can.
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  // Block everything across fork: until the child has reset the handlers, a
  // signal would run master's libevent handler there and write into the
  // signal socket master shares with it.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) exec_child(path, cargv.data(), cenv.data(), listen_fd, status_fd);
  int saved = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    errno = saved;
    return sys_error("fork");
  }
  return pid;
}

}  // namespace buzon::master
