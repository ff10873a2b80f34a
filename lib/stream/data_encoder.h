// DataEncoder - turns a message as a local program writes it or as it sits
// in a mailbox (lines ending in LF or CRLF) into the body of an SMTP DATA
// command or a POP3 multi-line response: every line ends in CRLF and a line
// starting with '.' gets one more '.' (RFC 5321 4.5.2 transparency, RFC 1939
// section 3 byte-stuffing). Streaming: feed() any number of chunks, then finish();
// state carries across chunk boundaries, so memory use does not depend on
// line length.
//
// Without -i (dot_ends_input), a line consisting of a single '.' ends the
// input, as sendmail(1) has always done; the rest is ignored.
#pragma once
#include <string>
#include <string_view>

namespace buzon::stream {

class DataEncoder {
 public:
  explicit DataEncoder(bool dot_ends_input) : dot_ends_input_(dot_ends_input) {}

  // Appends the encoded form of in to out. Once a lone '.' line has ended
  // the input, further bytes are ignored.
  void feed(std::string_view in, std::string& out);
  // Terminates a last line that has no newline and appends the end-of-data
  // line ".\r\n".
  void finish(std::string& out);
  // True once a lone '.' line was seen (only when dot_ends_input).
  bool ended() const { return state_ == State::Ended; }

 private:
  enum class State {
    LineStart,  // nothing of the current line seen yet
    StartCr,    // line so far: "\r"
    Dot,        // line so far: "."
    DotCr,      // line so far: ".\r"
    Mid,        // inside a line
    MidCr,      // inside a line, last byte was a held-back '\r'
    Ended,      // a lone '.' line ended the input
  };
  // Copies in[i..] up to the next CR or LF (only in state Mid); returns
  // where it stopped.
  size_t copy_run(std::string_view in, size_t i, std::string& out);
  // One byte through the state machine.
  void step(char c, std::string& out);
  void mid_byte(char c, std::string& out);
  void dot_line_end(std::string& out);

  bool dot_ends_input_;
  State state_ = State::LineStart;
};

}  // namespace buzon::stream
