#include "pop3d/message_stream.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

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
  // One read buffer for the process: pop3d is one thread, and no stream
  // holds the buffer between calls. It saves an allocation (and the
  // kernel's brk) per message.
  static std::unique_ptr<char[]> buf = std::make_unique_for_overwrite<char[]>(kReadSize);
  ssize_t n = 0;
  if (budget > 0) {
    do n = ::pread(message_.fd.get(), buf.get(), budget, message_.start);
    while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("read message");
  }
  message_.start += n;
  std::string_view want = take(std::string_view(buf.get(), static_cast<size_t>(n)));
  encoder_.feed(want, out);
  // A regular file answers a short read only at its end (Maildir files
  // never grow; an mbox range has its end), so no read is spent on
  // learning that there is nothing more.
  bool finished = static_cast<size_t>(n) < budget || budget == 0 || want.size() < static_cast<size_t>(n);
  if (finished) {
    encoder_.finish(out);
    done_ = true;
  }
  return !done_;
}

}  // namespace buzon::pop3d
