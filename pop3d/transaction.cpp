#include "pop3d/transaction.h"

#include <climits>

#include "lib/core/strings.h"

namespace buzon::pop3d {
namespace {

Reply err(std::string text) { return {"-ERR " + text + "\r\n"}; }
Reply ok(std::string text) { return {text.empty() ? "+OK\r\n" : "+OK " + text + "\r\n"}; }

// Dovecot's argument rules and texts, so that a session reads the same on
// both servers: a number is leading digits; what follows them, and any
// further argument, is "noise". rest is what a message quotes after the
// number: the text after the digits, then " " and each further argument.
std::optional<unsigned long long> number(const Command& cmd, size_t index, const char* what, const char* too_large,
                                         unsigned long long max, Reply& error) {
  std::string arg = index < cmd.args.size() ? cmd.args[index] : "";
  size_t digits = 0;
  unsigned long long n = 0;
  bool overflow = false;
  while (digits < arg.size() && arg[digits] >= '0' && arg[digits] <= '9') {
    overflow = overflow || n > (~0ull - 9) / 10;
    n = n * 10 + static_cast<unsigned>(arg[digits++] - '0');
  }
  std::string rest = arg.substr(digits);
  for (size_t i = index + 1; i < cmd.args.size(); ++i) rest += " " + cmd.args[i];
  if (digits == 0) {
    error = err(std::string("Invalid ") + what + ": " + str::sanitize(arg, 40));
    return std::nullopt;
  }
  if (overflow || n > max) {
    error = err(std::string(too_large) + str::sanitize(arg.substr(digits), 40));
    return std::nullopt;
  }
  // Only TOP's message number may be followed by something (its size).
  bool more_expected = cmd.verb == "TOP" && index == 0;
  if (!rest.empty() && !(more_expected && rest[0] == ' ')) {
    error = err(std::string("Noise after ") + what + ": " + str::sanitize(rest, 80));
    return std::nullopt;
  }
  if (more_expected && index + 1 >= cmd.args.size()) {  // "TOP 1": Dovecot's words for it
    error = err(std::string("Noise after ") + what + ": ");
    return std::nullopt;
  }
  return n;
}

}  // namespace

Transaction::Transaction(Maildrop& drop)
    : drop_(drop), deleted_(drop.count(), false), retrieved_(drop.count(), false) {}

size_t Transaction::live_count() const {
  size_t n = 0;
  for (bool d : deleted_) n += !d;
  return n;
}

size_t Transaction::deleted_count() const { return deleted_.size() - live_count(); }

uint64_t Transaction::live_size() const {
  uint64_t total = 0;
  for (size_t i = 0; i < deleted_.size(); ++i)
    if (!deleted_[i]) total += drop_.size(i);
  return total;
}

std::optional<size_t> Transaction::message(const Command& cmd, Reply& error) const {
  auto n = number(cmd, 0, "message number", "Message number too large: ", UINT_MAX, error);
  if (!n) return std::nullopt;
  if (*n == 0 || *n > deleted_.size()) {
    error = err("There's no message " + std::to_string(*n) + ".");
    return std::nullopt;
  }
  size_t i = static_cast<size_t>(*n) - 1;
  if (deleted_[i]) {
    error = err("Message is deleted.");
    return std::nullopt;
  }
  return i;
}

Reply Transaction::handle(const Command& cmd) {
  const std::string& v = cmd.verb;
  // Arguments of commands that take none are ignored, as Dovecot does.
  if (v == "STAT") return ok(std::to_string(live_count()) + " " + std::to_string(live_size()));
  if (v == "LIST") return list(cmd);
  if (v == "UIDL") return uidl(cmd);
  if (v == "RETR") return retr(cmd);
  if (v == "TOP") return top(cmd);
  if (v == "DELE") return dele(cmd);
  if (v == "NOOP") return ok("");
  if (v == "RSET") return rset();
  if (v == "QUIT") return quit();
  return err("Unknown command: " + v);
}

Reply Transaction::list(const Command& cmd) const {
  Reply r;
  if (!cmd.args.empty()) {
    auto i = message(cmd, r);
    if (!i) return r;
    return ok(std::to_string(*i + 1) + " " + std::to_string(drop_.size(*i)));
  }
  r.text = "+OK " + std::to_string(live_count()) + " messages:\r\n";
  for (size_t i = 0; i < deleted_.size(); ++i)
    if (!deleted_[i]) r.text += std::to_string(i + 1) + " " + std::to_string(drop_.size(i)) + "\r\n";
  r.text += ".\r\n";
  return r;
}

Reply Transaction::uidl(const Command& cmd) const {
  Reply r;
  if (!cmd.args.empty()) {
    auto i = message(cmd, r);
    if (!i) return r;
    return ok(std::to_string(*i + 1) + " " + drop_.uidl(*i));
  }
  r.text = "+OK\r\n";
  for (size_t i = 0; i < deleted_.size(); ++i)
    if (!deleted_[i]) r.text += std::to_string(i + 1) + " " + drop_.uidl(i) + "\r\n";
  r.text += ".\r\n";
  return r;
}

Reply Transaction::retr(const Command& cmd) {
  Reply r;
  auto i = message(cmd, r);
  if (!i) return r;
  retrieved_[*i] = true;
  r = ok(std::to_string(drop_.size(*i)) + " octets");
  r.stream = *i;
  return r;
}

Reply Transaction::top(const Command& cmd) {
  Reply r;
  auto i = message(cmd, r);
  if (!i) return r;
  auto lines = number(cmd, 1, "size", "Size too large: ", ~0ull, r);
  if (!lines) return r;
  r = ok("");
  r.stream = *i;
  // More lines than any message has is the same as the whole body.
  r.top_lines = static_cast<long>(std::min<unsigned long long>(*lines, 1ull << 40));
  return r;
}

Reply Transaction::dele(const Command& cmd) {
  Reply r;
  auto i = message(cmd, r);
  if (!i) return r;
  deleted_[*i] = true;
  return ok("Marked to be deleted.");
}

Reply Transaction::rset() {
  deleted_.assign(deleted_.size(), false);
  return ok("");
}

Reply Transaction::quit() {
  bool any = false;
  for (bool d : deleted_) any |= d;
  if (auto s = drop_.commit(deleted_, retrieved_); !s) {
    Reply r = err("[SYS/TEMP] Failed to update the mailbox.");
    r.close = true;
    return r;
  }
  Reply r = ok(any ? "Logging out, messages deleted." : "Logging out.");
  r.close = true;
  return r;
}

}  // namespace buzon::pop3d
