#include "cli/check.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "lib/file/file.h"

namespace buzon::cli {
namespace {

// queue_directory exists as a directory, or its nearest existing ancestor
// is a directory we can create entries in.
std::optional<std::string> queue_dir_problem(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') return "queue_directory must be an absolute path: " + dir;
  std::string path = dir;
  for (;;) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return "queue_directory " + dir + ": " + path + " is not a directory";
      if (path != dir && ::access(path.c_str(), W_OK | X_OK) < 0)
        return "queue_directory " + dir + " cannot be created: " + sys_error(path).message;
      return std::nullopt;
    }
    if (errno != ENOENT && errno != ENOTDIR) return "queue_directory " + dir + ": " + sys_error(path).message;
    path = file::dirname(path);
  }
}

std::optional<std::string> command_problem(const std::string& daemon_dir, const std::string& command,
                                           const std::string& where) {
  // A command is a program name in daemon_directory, never a path.
  if (command.empty() || command.find('/') != std::string::npos || command == "." || command == "..")
    return where + "bad command name: " + command;
  std::string path = daemon_dir + "/" + command;
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return where + "command " + command + ": " + sys_error(path).message;
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) < 0)
    return where + "command " + command + ": " + path + " is not an executable file";
  return std::nullopt;
}

}  // namespace

CheckReport check_config(const std::string& config_dir) {
  CheckReport r;
  auto cf = config::MainCf::load(config_dir);
  if (!cf) {
    r.errors.push_back(cf.error().message);
    return r;
  }
  r.cf = std::move(*cf);
  auto services = config::load_master_cf(config_dir, *r.cf);
  if (!services) r.errors.push_back(services.error().message);
  else r.services = std::move(*services);

  if (auto p = queue_dir_problem(r.cf->get("queue_directory"))) r.errors.push_back(*p);
  if (::geteuid() == 0) {
    // master (as root) drops the daemons to mail_owner and refuses uid 0;
    // say so now rather than in the log after start.
    std::string owner = r.cf->get("mail_owner");
    const passwd* pw = ::getpwnam(owner.c_str());
    if (!pw) r.errors.push_back("mail_owner " + owner + ": no such account");
    else if (pw->pw_uid == 0) r.errors.push_back("mail_owner must not be a privileged account: " + owner);
  }

  std::string daemon_dir = r.cf->get("daemon_directory");
  if (auto p = command_problem(daemon_dir, "master", "daemon_directory " + daemon_dir + ": ")) {
    r.errors.push_back(*p);
  }
  for (const auto& s : r.services) {
    std::string where = s.file + ":" + std::to_string(s.line) + ": ";
    if (auto p = command_problem(daemon_dir, s.command, where)) r.errors.push_back(*p);
  }
  return r;
}

int print_check(const CheckReport& r) {
  for (const auto& e : r.errors) std::fprintf(stderr, "buzon: error: %s\n", e.c_str());
  return r.errors.empty() ? 0 : 1;
}

int cmd_check(const std::string& config_dir) { return print_check(check_config(config_dir)); }

}  // namespace buzon::cli
