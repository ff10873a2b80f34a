// The maildrop of one POP3 session (RFC 1939 section 8): a fixed list of
// messages taken at login. Messages that arrive during the session are not
// shown until the next login; deletions are only applied by commit(), in
// the UPDATE state.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::pop3d {

// Where the bytes of one message are: [start, end) of an open file; end < 0
// means up to the end of the file.
struct MessageRange {
  Fd fd;
  off_t start = 0;
  off_t end = -1;
};

class Maildrop {
 public:
  virtual ~Maildrop() = default;
  virtual size_t count() const = 0;
  // Size of message i (0-based) as RETR sends it, CRLF line ends, before
  // byte-stuffing (RFC 1939 "exact size").
  virtual uint64_t size(size_t i) const = 0;
  // Unique-id of message i (RFC 1939 section 7): stable across sessions,
  // 1-70 characters 0x21-0x7E.
  virtual std::string uidl(size_t i) const = 0;
  // Opens message i for reading; the content may use LF or CRLF line ends.
  virtual Result<MessageRange> open(size_t i) = 0;
  // UPDATE state: removes the deleted messages and marks the retrieved
  // ones seen. Called once, at QUIT; never after a dropped connection.
  virtual Status commit(const std::vector<bool>& deleted, const std::vector<bool>& retrieved) = 0;
};

}  // namespace buzon::pop3d
