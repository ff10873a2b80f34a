// Who is running: master holds an fcntl write lock on
// queue_directory/pid/master.pid (which contains its pid) for as long as
// it lives. The lock, not the file's existence, is the truth: a stale file
// left by a crash is not locked.
#pragma once
#include <sys/types.h>
#include <string>

#include "lib/core/result.h"

namespace buzon::cli {

// The pid file under a queue directory.
std::string master_pid_file(const std::string& queue_dir);

// pid of the process holding a lock on path; 0 when the file is missing or
// not locked. Uses F_GETLK, so it works with read-only access and never
// takes the lock itself. When the holder's pid is not reported (an OFD
// lock), the pid written in the file is returned.
Result<pid_t> lock_holder(const std::string& path);

}  // namespace buzon::cli
