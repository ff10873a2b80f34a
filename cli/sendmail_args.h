// Command-line options of sendmail(1) and mailq(1): the Postfix-compatible
// subset. Options end at the first non-option argument or at "--" (as
// Postfix's getopt with a leading '+'); the rest are recipients.
//
//   -t  recipients from To:/Cc:/Bcc: (added to the command-line ones)
//   -i, -oi  a line with a single '.' does not end the input
//   -f SENDER, -r SENDER  envelope sender; -f '<>' is the null sender
//   -F NAME  full name for a generated From: header
//   -C DIR  configuration directory (or a file in it, like Postfix)
//   -bm (default) read a message; -bp list the queue; -bs SMTP on stdin;
//   -bi, -I  build alias_database (newaliases)
//   -q  flush the queue; -qINTERVAL is ignored like Postfix does
//   -N DSN, -R RET, -V ENVID  DSN parameters: parsed and validated, not used yet
//   -B TYPE, -h N, -L LABEL, -O OPT, -X FILE, -p PROTO, -e MODE, -o<x>
//   (other than -oi), -c, -G, -m, -n, -U, -v, -x  accepted and ignored
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

struct SendmailOptions {
  enum class Mode { Deliver, ListQueue, Smtp, Flush, NewAliases };
  Mode mode = Mode::Deliver;
  bool extract_recipients = false;  // -t
  bool ignore_dots = false;         // -i, -oi
  std::optional<std::string> sender;     // -f/-r; "" = null sender
  std::optional<std::string> full_name;  // -F
  std::optional<std::string> config;     // -C
  std::string dsn_notify;           // -N: "never" or a list of success,delay,failure
  std::string dsn_ret;              // -R: "full" or "hdrs"
  std::string envid;                // -V
  std::vector<std::string> recipients;
};

// args excludes argv[0]. as_mailq / as_newaliases: invoked as mailq /
// newaliases, so the mode is ListQueue / NewAliases whatever the options say. Errors are the text after
// "sendmail: fatal: " (exit EX_USAGE).
Result<SendmailOptions> parse_sendmail_args(std::span<const std::string> args, bool as_mailq,
                                            bool as_newaliases = false);

}  // namespace buzon::cli
