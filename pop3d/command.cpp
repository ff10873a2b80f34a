#include "pop3d/command.h"

#include <cctype>

#include "lib/core/strings.h"

namespace buzon::pop3d {

std::optional<Command> parse_command(std::string_view line) {
  if (line.empty() || line.size() > kCommandLineMax) return std::nullopt;
  auto sp = line.find(' ');
  std::string_view verb = line.substr(0, sp);
  if (verb.size() < 3 || verb.size() > 4) return std::nullopt;
  Command cmd;
  for (char c : verb) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;
    cmd.verb += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (sp == std::string_view::npos) return cmd;
  std::string_view rest = line.substr(sp + 1);
  if (cmd.verb == "PASS") {
    cmd.args.emplace_back(rest);
    return cmd;
  }
  // Extra spaces between or after arguments are tolerated: some clients
  // send "LIST " and RFC 1939 servers have always accepted it.
  for (;;) {
    auto next = rest.find(' ');
    std::string_view arg = rest.substr(0, next);
    if (!arg.empty()) {
      if (arg.size() > kArgMax || cmd.args.size() == kArgsMax) return std::nullopt;
      cmd.args.emplace_back(arg);
    }
    if (next == std::string_view::npos) return cmd;
    rest = rest.substr(next + 1);
  }
}

std::optional<size_t> message_number(std::string_view arg, size_t count) {
  auto n = str::to_uint(arg);
  if (!n || *n == 0 || *n > count) return std::nullopt;
  return static_cast<size_t>(*n);
}

}  // namespace buzon::pop3d
