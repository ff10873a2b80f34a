// Starting one daemon process: its argv and environment (pure, tested) and
// the fork/exec with fd 3 = listening socket, fd 4 = status pipe.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/result.h"
#include "master/settings.h"

namespace buzon::master {

// daemon_directory/COMMAND, or COMMAND itself when it is an absolute path.
std::string command_path(const config::Service& s, const Settings& st);

// "COMMAND -c DIR -n SERVICE -t TYPE [-u] [-r] [-o k=v]... [args]".
// -u only when the service is unprivileged and master is root (there is no
// one to drop to otherwise); -r whenever chroot=y (the daemon skips the
// jail when not root).
std::vector<std::string> daemon_argv(const config::Service& s, const Settings& st);

// The child's environment: TZ and LANG from master's (when set) and
// MAIL_CONFIG=config_dir. Nothing else: an environment inherited from
// whoever started master (LD_*, IFS, MALLOC_*, ...) must not reach daemons.
std::vector<std::string> daemon_env(const char* const* environ, const std::string& config_dir,
                                    const std::vector<std::string>& import_environment);

// Forks and execs. In the child: all signal handlers back to default and
// nothing blocked (master's handlers must not run in a child), fd 3 and 4
// set up without close-on-exec, every other fd above 2 closed. An exec
// failure is logged by the child, which exits 127. Returns the child's pid.
Result<pid_t> spawn(const std::string& path, const std::vector<std::string>& argv,
                    const std::vector<std::string>& env, int listen_fd, int status_fd);

}  // namespace buzon::master
