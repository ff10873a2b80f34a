#include "local/output.h"

#include "lib/file/file.h"
#include "local/content.h"

namespace buzon::local {

Output::Output(int fd, unsigned long long start_size, unsigned long long limit)
    : fd_(fd), start_(start_size), limit_(limit) {
  buf_.reserve(kChunk);
}

Status Output::write(std::string_view bytes) {
  if (limit_ != 0 && start_ + written_ + buf_.size() + bytes.size() > limit_) {
    full_ = true;
    return Error{"mailbox size limit exceeded"};
  }
  if (buf_.size() + bytes.size() > kChunk)
    if (auto s = flush(); !s) return s;
  if (bytes.size() >= kChunk) {
    if (auto s = file::write_all(fd_, bytes); !s) return s;
    written_ += bytes.size();
    return {};
  }
  buf_.append(bytes);
  return {};
}

Status Output::flush() {
  if (buf_.empty()) return {};
  if (auto s = file::write_all(fd_, buf_); !s) return s;
  written_ += buf_.size();
  buf_.clear();
  return {};
}

}  // namespace buzon::local
