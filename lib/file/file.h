// Durable file operations. "Durable" means the data and the directory entry
// survive power loss: write, fsync the file, rename, fsync the directory.
#pragma once
#include <sys/types.h>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::file {

// Writes all bytes, retrying on EINTR and short writes.
Status write_all(int fd, std::string_view data);
// Reads exactly n bytes at offset, retrying on EINTR and short reads; an
// error (sys_errno 0) when the file ends first.
Status pread_exact(int fd, char* p, size_t n, off_t offset);
// Writes content to path atomically and durably (temp file in the same
// directory + fsync + rename + fsync of the directory).
Status write_atomic(const std::string& path, std::string_view content, mode_t mode = 0644);
// fsync of a directory, so that entries created or renamed in it persist.
Status fsync_dir(const std::string& dir);
// Reads a whole file; fails with "too long" beyond max bytes.
Result<std::string> read_file(const std::string& path, size_t max);
// mkdir -p with mode for the directories it creates.
Status make_dirs(const std::string& path, mode_t mode = 0755);
// Directory part of a path ("/a/b" -> "/a", "b" -> ".").
std::string dirname(const std::string& path);

}  // namespace buzon::file
