// Buffered appender for a mailbox file that refuses to let the file grow
// past a size limit (mailbox_size_limit): the check happens before bytes
// reach the disk, so an over-limit delivery never leaves a partial message.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::local {

class Output {
 public:
  // start_size: the file's size before this delivery; limit 0 = none.
  Output(int fd, unsigned long long start_size, unsigned long long limit);
  // Error when the limit would be exceeded (full() is then true) or on a
  // write failure (errno in the Error).
  Status write(std::string_view bytes);
  Status flush();
  bool full() const { return full_; }
  unsigned long long written() const { return written_; }

 private:
  int fd_;
  unsigned long long start_;
  unsigned long long limit_;
  unsigned long long written_ = 0;
  bool full_ = false;
  std::string buf_;
};

}  // namespace buzon::local
