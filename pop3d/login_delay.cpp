#include "pop3d/login_delay.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cstdlib>

#include "lib/core/fd.h"

namespace buzon::pop3d {

Result<bool> login_too_soon(const std::string& stamp_path, std::chrono::seconds delay, std::time_t now) {
  // O_NOFOLLOW: a link planted in the mailbox must not make us touch
  // another file.
  Fd fd(::open(stamp_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return sys_error("open " + stamp_path);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("stat " + stamp_path);
  if (!S_ISREG(st.st_mode)) return Error{stamp_path + ": not a regular file"};
  // A new file (size 0, never stamped) has the creation time as mtime:
  // tell it apart by the one byte a stamped file holds.
  bool stamped = st.st_size > 0;
  // A stamp in the future (the clock was set back) counts by its distance
  // too: it delays a login by at most delay, never forever.
  long long since = static_cast<long long>(now) - st.st_mtim.tv_sec;
  if (stamped && std::llabs(since) < delay.count()) return true;
  if (!stamped && ::write(fd.get(), "1", 1) != 1) return sys_error("write " + stamp_path);
  struct timespec times[2] = {{now, 0}, {now, 0}};
  if (::futimens(fd.get(), times) < 0) return sys_error("touch " + stamp_path);
  return false;
}

}  // namespace buzon::pop3d
