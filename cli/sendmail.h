// sendmail(1) message submission: read the header (header_block.h),
// work out the envelope, then speak SMTP to smtpd over the UNIX socket
// queue_directory/public/submit, streaming the body from stdin. smtpd
// identifies the submitting user from SO_PEERCRED, so sendmail needs no
// privileges and there is no world-writable drop directory.
//
// Exit status follows sysexits(3), like every sendmail: 0 accepted,
// EX_USAGE no recipients or bad options, EX_DATAERR a rejected message or
// malformed header, EX_NOUSER a rejected recipient, EX_TEMPFAIL no server
// or a 4xx reply, EX_IOERR unreadable input, EX_CONFIG bad main.cf.
#pragma once
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/byte_source.h"
#include "cli/header_block.h"
#include "lib/core/result.h"

namespace buzon::cli {

// Per reply; Postfix's sendmail waits as long for its local pickup.
constexpr std::chrono::seconds kSubmitTimeout{300};

struct SubmitEnvelope {
  std::string sender;  // "" = null sender <>
  std::vector<std::string> recipients;
};

struct SubmitOutcome {
  int exit_code = 0;     // sysexits
  std::string message;   // for "sendmail: fatal: ..." when exit_code != 0
};

// Appends "@" + myorigin to an address without a domain (Postfix's
// append_at_myorigin); "" (the null sender) stays empty.
std::string qualify(std::string_view address, std::string_view myorigin);

// Addresses from command-line arguments (each may be a list,
// "a, Name <b@c>"), qualified. Error: a malformed argument.
Result<std::vector<std::string>> command_line_recipients(std::span<const std::string> args,
                                                         std::string_view myorigin);

// -t: the recipients in Resent-To/Cc/Bcc when any of those is present
// (RFC 5322 3.6.6: a resent message goes to the resent recipients), else in
// To/Cc/Bcc; every occurrence of each field; qualified.
Result<std::vector<std::string>> header_recipients(const HeaderBlock& hb, std::string_view myorigin);

// "From: Full Name <address>" (the name quoted when it has specials), or
// "From: <address>" without a name; no line terminator.
std::string from_header(const std::optional<std::string>& full_name, std::string_view address);

// The start of the message as sent: the header without Bcc:/Resent-Bcc:
// (blind recipients must not be seen by the others), plus from_line when
// not empty, then the empty line and the body bytes already read. LF line
// endings (DataEncoder makes them CRLF).
std::string compose_head(const HeaderBlock& hb, std::string_view from_line);

// Runs the SMTP transaction on fd: EHLO (HELO when refused), MAIL, RCPT for
// each recipient, DATA with head followed by the rest of body (when
// non-null) dot-stuffed, QUIT. If body cannot be read the connection is
// closed without the final '.', so the server discards the message.
SubmitOutcome submit(int fd, const SubmitEnvelope& env, std::string_view head, ByteSource* body,
                     bool dot_ends_input, std::chrono::milliseconds timeout);

// The sendmail / mailq program.
int sendmail_main(int argc, char** argv);

}  // namespace buzon::cli
