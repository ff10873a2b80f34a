// Reading an mbox file (the format local(8) writes and mail/mutt/Dovecot
// read): each message starts with a "From " line at the start of the file
// or after an empty line, and is followed by one empty separator line.
// Body lines that began with "From " were written as ">From " and are
// left so (mboxo: the quoting cannot be undone unambiguously; Dovecot
// does the same).
//
// LIMITS  kMboxMessagesMax messages per file.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lib/core/result.h"

namespace buzon::mailbox {

constexpr size_t kMboxMessagesMax = 1000000;

struct MboxMessage {
  off_t from_line = 0;  // offset of the "From " line
  off_t start = 0;      // first byte of the message (after the From_ line)
  off_t end = 0;        // one past the message, before the separator line
  uint64_t vsize = 0;   // size of [start, end) with CRLF line ends
  std::string digest;   // MD5 of the header section, hex (a stable POP3 UIDL)
};

// Scans the first size bytes of the open mbox fd. A file that does not
// start with "From " is not an mbox (error). Text after the last complete
// line belongs to the last message.
Result<std::vector<MboxMessage>> scan_mbox(int fd, off_t size);

}  // namespace buzon::mailbox
