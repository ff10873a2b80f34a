#include "cli/sendmail_args.h"

#include <cstring>

#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

// Options that take a value (attached "-fX" or as the next argument).
constexpr const char* kWithValue = "BCFLNORVXbefhopr";
// Flags that Postfix accepts for compatibility and ignores.
constexpr const char* kIgnoredFlags = "cGmnUvx";

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// -N: "never" alone, or a comma list of success, delay, failure (RFC 3461 4.1).
bool dsn_notify_ok(std::string_view v) {
  auto items = str::split(v, ",");
  if (items.empty()) return false;
  for (const auto& i : items) {
    if (str::iequals(i, "never")) {
      if (items.size() != 1) return false;
    } else if (!str::iequals(i, "success") && !str::iequals(i, "delay") && !str::iequals(i, "failure")) {
      return false;
    }
  }
  return true;
}

Status apply(SendmailOptions& o, char opt, const std::string& value) {
  switch (opt) {
    case 'b':
      if (value == "m") o.mode = SendmailOptions::Mode::Deliver;
      else if (value == "p") o.mode = SendmailOptions::Mode::ListQueue;
      else if (value == "s") o.mode = SendmailOptions::Mode::Smtp;
      else if (value == "i") o.mode = SendmailOptions::Mode::NewAliases;
      else return Error{"unsupported mode: -b" + value};
      return {};
    case 'C':
      o.config = value;
      return {};
    case 'F':
      // Goes into a From: header: no line breaks (header injection).
      if (has_control(value)) return Error{"-F: control characters in full name"};
      o.full_name = value;
      return {};
    case 'f':
    case 'r': {
      std::string s = value;
      if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
      if (has_control(s)) return Error{"-f: control characters in sender address"};
      o.sender = s;
      return {};
    }
    case 'N':
      if (!dsn_notify_ok(value)) return Error{"-N: bad DSN notification: " + str::sanitize(value)};
      o.dsn_notify = value;
      return {};
    case 'R':
      if (!str::iequals(value, "full") && !str::iequals(value, "hdrs"))
        return Error{"-R: bad DSN return type: " + str::sanitize(value)};
      o.dsn_ret = value;
      return {};
    case 'V':
      // RFC 3461 4.4: ENVID is xtext of printable ASCII, at most 100 characters.
      if (value.empty() || value.size() > 100 || has_control(value))
        return Error{"-V: bad envelope ID"};
      o.envid = value;
      return {};
    case 'o':
      // -oi is -i; -o7, -o8, -oA..., -om ... are ignored like Postfix does.
      if (value == "i") o.ignore_dots = true;
      return {};
    default:  // B h L O X p e: accepted and ignored
      return {};
  }
}

}  // namespace

Result<SendmailOptions> parse_sendmail_args(std::span<const std::string> args, bool as_mailq,
                                            bool as_newaliases) {
  SendmailOptions o;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    for (size_t j = 1; j < a.size(); ++j) {
      char c = a[j];
      if (c == 'q') {
        // -q alone flushes; -q30m (interval) is ignored like Postfix does;
        // -qRsite / -qSsite (per-site flush) are not implemented.
        std::string rest = a.substr(j + 1);
        if (rest.empty()) o.mode = SendmailOptions::Mode::Flush;
        else if (rest[0] == 'R' || rest[0] == 'S') return Error{"-q" + rest.substr(0, 1) + ": per-site flush is not supported"};
        else if (rest[0] < '0' || rest[0] > '9') return Error{"bad option: -q" + str::sanitize(rest)};
        break;
      }
      if (c == 't') {
        o.extract_recipients = true;
      } else if (c == 'i') {
        o.ignore_dots = true;
      } else if (c == 'I') {
        o.mode = SendmailOptions::Mode::NewAliases;
      } else if (std::strchr(kIgnoredFlags, c) != nullptr) {
        // accepted for compatibility
      } else if (std::strchr(kWithValue, c) != nullptr) {
        std::string value;
        if (j + 1 < a.size()) {
          value = a.substr(j + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return Error{std::string("option requires an argument: -") + c};
        }
        if (auto s = apply(o, c, value); !s) return s.error();
        break;
      } else {
        return Error{std::string("invalid option: -") + str::sanitize(std::string_view(&c, 1))};
      }
    }
  }
  for (; i < args.size(); ++i) o.recipients.push_back(args[i]);
  if (as_mailq) o.mode = SendmailOptions::Mode::ListQueue;
  if (as_newaliases) o.mode = SendmailOptions::Mode::NewAliases;
  return o;
}

}  // namespace buzon::cli
