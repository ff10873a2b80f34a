// Takes POP3 command lines out of a libevent input buffer with a bound:
// a line longer than the limit is reported once as TooLong and then
// discarded up to its end, never accumulated. Lines end in LF; a CR
// before it is removed (RFC 1939 asks for CRLF, many clients are lax).
#pragma once
#include <event2/buffer.h>

#include <string>

namespace buzon::pop3d {

class LineInput {
 public:
  enum class Kind { NeedMore, Ok, TooLong };
  struct Line {
    Kind kind = Kind::NeedMore;
    std::string text;  // Ok: the line without its end
  };
  // limit: the longest line (without CRLF) accepted now.
  Line next(evbuffer* in, size_t limit);

 private:
  bool discarding_ = false;  // inside an over-long line, up to its LF
};

}  // namespace buzon::pop3d
