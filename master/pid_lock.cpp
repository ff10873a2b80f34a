#include "master/pid_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace buzon::master {

Result<PidLock> PidLock::acquire(const std::string& path) {
  // O_NOFOLLOW: master runs as root; a symlink planted here must not make it
  // truncate some other file.
  Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) return sys_error("open " + path);
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(fd.get(), F_SETLK, &fl) < 0) {
    if (errno == EAGAIN || errno == EACCES) return Error{kAlreadyRunning, errno};
    return sys_error("lock " + path);
  }
  char text[16];
  int n = std::snprintf(text, sizeof text, "%10d\n", static_cast<int>(getpid()));
  if (ftruncate(fd.get(), 0) < 0) return sys_error("truncate " + path);
  if (pwrite(fd.get(), text, n, 0) != n) return sys_error("write " + path);
  return PidLock(path, std::move(fd));
}

void PidLock::remove() {
  if (!fd_) return;
  unlink(path_.c_str());
  fd_.reset();
}

}  // namespace buzon::master
