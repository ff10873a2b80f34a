// mbox "From " quoting (RFC 4155 section 2, Postfix local(8)): a line that
// begins with "From " would start a new message for every mbox reader, so
// it is written as ">From ". Only "From " at the start of a line is quoted
// (Postfix's rule; ">From " lines are left alone, as the mboxo readers
// expect). Works on a stream: a "From " split across two chunks is still
// recognised.
#pragma once
#include <string>
#include <string_view>

namespace buzon::local {

class FromQuoter {
 public:
  // Appends the quoted form of in to out.
  void feed(std::string_view in, std::string& out);
  // Appends bytes held back at the end of the stream.
  void finish(std::string& out);
  // Whether the last byte fed (and not held) ended a line; true at start.
  bool at_line_start() const { return bol_ && held_.empty(); }

 private:
  bool bol_ = true;
  std::string held_;  // a line start that may still become "From "
};

}  // namespace buzon::local
