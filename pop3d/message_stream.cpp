#include "pop3d/message_stream.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace buzon::pop3d {

MessageStream::MessageStream(MessageRange message, long body_lines)
    : message_(std::move(message)), body_lines_(body_lines) {}

std::string_view MessageStream::take(std::string_view chunk) {
  if (body_lines_ < 0) return chunk;
  for (size_t i = 0; i < chunk.size(); ++i) {
    if (!in_header_ && body_lines_ == 0) return chunk.substr(0, i);
    if (chunk[i] != '\n') {
      if (chunk[i] != '\r') at_line_start_ = false;
      continue;
    }
    if (in_header_) {
      // An empty line ("\n" or "\r\n") ends the header section.
      if (at_line_start_) in_header_ = false;
    } else {
      --body_lines_;
    }
    at_line_start_ = true;
  }
  return chunk;
}

Result<bool> MessageStream::next(std::string& out) {
  if (done_) return false;
  size_t budget = kReadSize;
  if (message_.end >= 0)
    budget = static_cast<size_t>(std::clamp<off_t>(message_.end - message_.start, 0, static_cast<off_t>(kReadSize)));
  std::string buf(budget, '\0');
  ssize_t n = 0;
  if (budget > 0) {
    do n = ::pread(message_.fd.get(), buf.data(), buf.size(), message_.start);
    while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("read message");
  }
  message_.start += n;
  std::string_view want = take(std::string_view(buf.data(), static_cast<size_t>(n)));
  encoder_.feed(want, out);
  bool finished = n == 0 || want.size() < static_cast<size_t>(n);
  if (finished) {
    encoder_.finish(out);
    done_ = true;
  }
  return !done_;
}

}  // namespace buzon::pop3d
