// SmtpClient - the client half of an SMTP dialogue over an already
// connected stream socket (sendmail to public/submit). Every read and
// write has a deadline, so a stuck server cannot hang a cron job forever.
//
// LIMITS  kReplyLineMax bytes per reply line, kReplyLinesMax lines per
//         reply; a longer reply is a protocol error, not truncated.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::cli {

constexpr size_t kReplyLineMax = 4096;  // RFC 5321 4.5.3.1.5 says 512; be generous
constexpr size_t kReplyLinesMax = 100;

struct SmtpReply {
  int code = 0;       // 200..599
  std::string text;   // all lines without the codes' separators, joined by "\n"
  // "550 5.1.1 No such user" style, for messages (first line, sanitized).
  std::string summary() const;
};

class SmtpClient {
 public:
  // Does not own fd.
  SmtpClient(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}

  Result<SmtpReply> read_reply();
  // Writes all bytes (retrying on short writes) within the timeout.
  Status write(std::string_view data);
  // Sends line + CRLF, then reads the reply.
  Result<SmtpReply> command(std::string_view line);

 private:
  Result<std::string> read_line();
  int fd_;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

}  // namespace buzon::cli
