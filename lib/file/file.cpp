#include "lib/file/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/fd.h"

namespace buzon::file {

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status pread_exact(int fd, char* p, size_t n, off_t offset) {
  for (size_t got = 0; got < n;) {
    ssize_t r = ::pread(fd, p + got, n - got, offset + static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sys_error("read");
    if (r == 0) return Error{"file ends early"};
    got += static_cast<size_t>(r);
  }
  return {};
}

std::string dirname(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error("open " + dir);
  if (::fsync(fd.get()) < 0) return sys_error("fsync " + dir);
  return {};
}

Status write_atomic(const std::string& path, std::string_view content, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return sys_error("create " + tmp);
  // fchmod because the umask may have narrowed the requested mode.
  auto done = [&]() -> Status {
    if (::fchmod(fd.get(), mode) < 0) return sys_error("fchmod " + tmp);
    if (auto s = write_all(fd.get(), content); !s) return Error{"write " + tmp + ": " + s.error().message};
    if (::fsync(fd.get()) < 0) return sys_error("fsync " + tmp);
    if (::rename(tmp.c_str(), path.c_str()) < 0) return sys_error("rename " + tmp);
    return fsync_dir(dirname(path));
  }();
  if (!done) ::unlink(tmp.c_str());
  return done;
}

Result<std::string> read_file(const std::string& path, size_t max) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error("open " + path);
  // Read straight into the result: a 64 KiB buffer on the stack stayed
  // resident in every process, each of which reads main.cf at start.
  constexpr size_t kChunk = 65536;
  std::string out;
  for (;;) {
    size_t have = out.size();
    out.resize(have + kChunk);
    ssize_t n = ::read(fd.get(), out.data() + have, kChunk);
    out.resize(have + static_cast<size_t>(n > 0 ? n : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read " + path);
    }
    if (n == 0) break;
    if (out.size() > max) return Error{path + ": too long (limit " + std::to_string(max) + " bytes)"};
  }
  return out;
}

Status make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Error{"make_dirs: empty path"};
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), mode) < 0 && errno != EEXIST) return sys_error("mkdir " + part);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return sys_error("stat " + path);
  if (!S_ISDIR(st.st_mode)) return Error{path + ": not a directory"};
  return {};
}

}  // namespace buzon::file
