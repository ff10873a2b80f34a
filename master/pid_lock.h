// queue_directory/pid/master.pid: one master per queue directory. The file
// holds the pid ("%10d\n", as Postfix writes it) and an fcntl write lock
// for the life of the process; the kernel drops the lock when the process
// dies, so a stale file from a crash never blocks a restart. POSIX drops a
// process's fcntl locks when it closes ANY descriptor of the file: nothing
// in master may open master.pid except through this class.
#pragma once
#include <string>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::master {

constexpr const char* kAlreadyRunning = "the Buzon mail system is already running";

class PidLock {
 public:
  // Creates/opens path, locks it and writes our pid. When another process
  // holds the lock the Error message is kAlreadyRunning.
  static Result<PidLock> acquire(const std::string& path);
  PidLock(PidLock&&) noexcept = default;
  PidLock& operator=(PidLock&&) noexcept = default;
  // Removes the file, then releases the lock (in that order, so a master
  // that starts meanwhile creates a fresh file rather than losing its lock
  // to our unlink).
  void remove();

 private:
  PidLock(std::string path, Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  Fd fd_;
};

}  // namespace buzon::master
