#include "cli/byte_source.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace buzon::cli {

Result<size_t> FdSource::read(char* buf, size_t max) {
  for (;;) {
    ssize_t n = ::read(fd_, buf, max);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return sys_error("read");
  }
}

Result<size_t> StringSource::read(char* buf, size_t max) {
  size_t n = std::min({max, chunk_, data_.size() - pos_});
  std::memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace buzon::cli
