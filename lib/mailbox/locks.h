// Mailbox locks for mbox files (local delivery, pop3d, imapd). Every mbox
// reader and writer on the system must agree on the locks, so Buzón takes
// the same ones as Postfix, Dovecot and mutt: a dot-lock file next to the
// mailbox ("PATH.lock", for readers on NFS and old MUAs) and an fcntl
// (or flock) lock on the open mailbox.
//
// LIMITS  deliver_lock_attempts tries, deliver_lock_delay apart;
//         a dot-lock older than stale_lock_time is removed as stale.
#pragma once
#include <chrono>
#include <string>

#include "lib/core/result.h"

namespace buzon::mailbox {

struct LockPolicy {
  unsigned attempts = 20;
  std::chrono::milliseconds delay{1000};
  std::chrono::seconds stale{300};
};

// PATH.lock, created with link(2) from a unique temporary file: link is
// atomic and exclusive even over NFS, where O_EXCL historically was not.
// Removed when the DotLock is destroyed.
class DotLock {
 public:
  DotLock() = default;
  DotLock(DotLock&& o) noexcept;
  DotLock& operator=(DotLock&& o) noexcept;
  DotLock(const DotLock&) = delete;
  ~DotLock();

  // Error when the lock stays taken for all attempts or cannot be created.
  // When the directory does not let this user create files (EACCES, EPERM,
  // EROFS: a root-owned /var/mail), the lock is skipped and held() is false,
  // as in Postfix: the kernel lock still serialises writers, and refusing
  // would make such spool directories undeliverable.
  static Result<DotLock> acquire(const std::string& mailbox, const LockPolicy& policy);
  bool held() const { return !path_.empty(); }
  // Set when a stale lock was removed, for local's log.
  const std::string& note() const { return note_; }

 private:
  std::string path_;
  std::string note_;
};

enum class KernelLock { Fcntl, Flock };
// Takes an exclusive lock on an open file, retrying per policy without
// blocking indefinitely. Released when the descriptor is closed.
Status lock_file(int fd, KernelLock kind, const LockPolicy& policy);

}  // namespace buzon::mailbox
