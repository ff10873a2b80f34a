// The TRANSACTION and UPDATE states of a POP3 session (RFC 1939 sections
// 5-6) over one Maildrop: STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL,
// QUIT. Deletions are only marks until QUIT; a session that ends any other
// way changes nothing. Reply texts follow Dovecot 2.3, which POP3 clients
// and scripts in the field are used to.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pop3d/command.h"
#include "pop3d/maildrop.h"

namespace buzon::pop3d {

struct Reply {
  std::string text;                   // complete response line(s), CRLF-terminated
  std::optional<size_t> stream;       // then stream this message (0-based),
  long top_lines = -1;                //   all of it, or headers + this many body lines
  bool close = false;                 // close the connection after sending
};

class Transaction {
 public:
  explicit Transaction(Maildrop& drop);
  // Handles one command; unknown verbs get "-ERR Unknown command: VERB".
  Reply handle(const Command& cmd);
  // Counts for the login greeting and STAT: undeleted messages and octets.
  size_t live_count() const;
  uint64_t live_size() const;
  // For the logout log line: messages at login, and those marked deleted.
  size_t message_count() const { return deleted_.size(); }
  size_t deleted_count() const;

 private:
  // The 0-based index for the message-number argument (the first), or the
  // error reply in Dovecot's words.
  std::optional<size_t> message(const Command& cmd, Reply& error) const;
  Reply list(const Command& cmd) const;
  Reply uidl(const Command& cmd) const;
  Reply retr(const Command& cmd);
  Reply top(const Command& cmd);
  Reply dele(const Command& cmd);
  Reply rset();
  Reply quit();

  Maildrop& drop_;
  std::vector<bool> deleted_;
  std::vector<bool> retrieved_;
};

}  // namespace buzon::pop3d
