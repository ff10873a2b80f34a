#include "lib/mailbox/locks.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "lib/core/fd.h"

namespace buzon::mailbox {
namespace {

std::string unique_suffix() {
  static unsigned counter = 0;
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  for (char* p = host; *p; ++p)
    if (*p == '/') *p = '_';
  return std::string(host) + "." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace

DotLock::DotLock(DotLock&& o) noexcept : path_(std::exchange(o.path_, {})), note_(std::move(o.note_)) {}

DotLock& DotLock::operator=(DotLock&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::exchange(o.path_, {});
    note_ = std::move(o.note_);
  }
  return *this;
}

DotLock::~DotLock() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Result<DotLock> DotLock::acquire(const std::string& mailbox, const LockPolicy& policy) {
  DotLock lock;
  std::string target = mailbox + ".lock";
  std::string tmp = target + "." + unique_suffix();
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
      if (errno == EACCES || errno == EPERM || errno == EROFS) return lock;
      return sys_error("create lock file " + tmp);
    }
  }
  unsigned attempts = policy.attempts ? policy.attempts : 1;
  for (unsigned i = 0; i < attempts; ++i) {
    int rc = ::link(tmp.c_str(), target.c_str());
    int err = errno;
    // link can report failure over NFS although it worked; the link count
    // of the temporary file is the truth.
    struct stat st;
    if (rc == 0 || (::stat(tmp.c_str(), &st) == 0 && st.st_nlink == 2)) {
      ::unlink(tmp.c_str());
      lock.path_ = target;
      return lock;
    }
    if (err != EEXIST) {
      ::unlink(tmp.c_str());
      errno = err;
      return sys_error("link lock file " + target);
    }
    // A lock left by a crashed writer would block the mailbox forever.
    if (::lstat(target.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime > policy.stale.count()) {
      if (::unlink(target.c_str()) == 0) {
        lock.note_ = "removed stale lock file " + target;
        continue;
      }
    }
    if (i + 1 < attempts) std::this_thread::sleep_for(policy.delay);
  }
  ::unlink(tmp.c_str());
  errno = EAGAIN;
  return Error{"unable to lock " + mailbox + ": " + target + " exists", EAGAIN};
}

Status lock_file(int fd, KernelLock kind, const LockPolicy& policy) {
  unsigned attempts = policy.attempts ? policy.attempts : 1;
  for (unsigned i = 0; i < attempts; ++i) {
    int rc;
    if (kind == KernelLock::Fcntl) {
      struct flock fl{};
      fl.l_type = F_WRLCK;
      fl.l_whence = SEEK_SET;
      rc = ::fcntl(fd, F_SETLK, &fl);
    } else {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    }
    if (rc == 0) return {};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK)
      return sys_error(kind == KernelLock::Fcntl ? "fcntl lock" : "flock");
    if (i + 1 < attempts) std::this_thread::sleep_for(policy.delay);
  }
  return Error{kind == KernelLock::Fcntl ? "fcntl lock: mailbox is locked by another process"
                                         : "flock: mailbox is locked by another process",
               EAGAIN};
}

}  // namespace buzon::mailbox
