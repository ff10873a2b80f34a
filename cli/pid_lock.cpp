#include "cli/pid_lock.h"

#include <fcntl.h>

#include <cerrno>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"

namespace buzon::cli {

std::string master_pid_file(const std::string& queue_dir) { return queue_dir + "/pid/master.pid"; }

Result<pid_t> lock_holder(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) return pid_t{0};
    return sys_error("open " + path);
  }
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // the whole file
  if (::fcntl(fd.get(), F_GETLK, &fl) < 0) return sys_error("fcntl F_GETLK " + path);
  if (fl.l_type == F_UNLCK) return pid_t{0};
  if (fl.l_pid > 0) return static_cast<pid_t>(fl.l_pid);
  auto text = file::read_file(path, 64);
  if (!text) return text.error();
  auto pid = str::to_uint(str::trim(*text));
  if (!pid || *pid == 0 || *pid > 4194304) return Error{path + ": locked, but holds no valid pid"};
  return static_cast<pid_t>(*pid);
}

}  // namespace buzon::cli
