// POP3 command lines (RFC 1939 section 3, RFC 2449 section 4): a keyword
// of 3-4 letters, case-insensitive, then arguments separated by single
// spaces. PASS is the exception: its argument is the rest of the line, so
// passwords may contain spaces (as Dovecot and most clients expect).
// LIMITS  kCommandLineMax bytes per line (RFC 2449: 255 with CRLF),
//         kArgMax bytes per argument (RFC 2449: 40), kArgsMax arguments.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace buzon::pop3d {

constexpr size_t kCommandLineMax = 255;
constexpr size_t kArgMax = 40;
constexpr size_t kArgsMax = 2;

struct Command {
  std::string verb;  // upper case
  std::vector<std::string> args;
};

// Parses one line without its CRLF. nullopt for an empty line, a keyword
// that is not 3-4 letters, an over-long line or argument, or too many
// arguments; the caller answers "-ERR" and counts it as a bad command.
// The limits on PASS (and the AUTH exchange) are the caller's
// (kCommandLineMax still applies to the whole line).
std::optional<Command> parse_command(std::string_view line);

// A message number argument ("1".."count"); nullopt when not a decimal
// number in range.
std::optional<size_t> message_number(std::string_view arg, size_t count);

}  // namespace buzon::pop3d
