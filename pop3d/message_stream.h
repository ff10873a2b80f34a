// MessageStream - produces the multi-line body of RETR or TOP (RFC 1939)
// from a message file in bounded chunks: CRLF line ends, byte-stuffed, and
// the final ".\r\n". For TOP only the header section, the empty line and
// the first n body lines are sent. Memory use is one read buffer, whatever
// the message size.
#pragma once
#include <string>

#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/stream/data_encoder.h"
#include "pop3d/maildrop.h"

namespace buzon::pop3d {

class MessageStream {
 public:
  // body_lines < 0 sends the whole message.
  MessageStream(MessageRange message, long body_lines);
  // Appends the next encoded chunk (about kReadSize bytes of input) to out.
  // Returns false once the terminating ".\r\n" has been appended.
  Result<bool> next(std::string& out);

  static constexpr size_t kReadSize = 65536;

 private:
  // The prefix of chunk that TOP still wants; updates the line counters.
  std::string_view take(std::string_view chunk);

  MessageRange message_;
  long body_lines_;       // body lines still wanted, or < 0 for all
  bool in_header_ = true;
  bool at_line_start_ = true;  // for the empty line that ends the header
  bool done_ = false;
  stream::DataEncoder encoder_{false};
};

}  // namespace buzon::pop3d
