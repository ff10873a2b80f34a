#include "pop3d/transaction.h"

#include "lib/core/strings.h"

namespace buzon::pop3d {
namespace {

Reply err(std::string text) { return {"-ERR " + text + "\r\n"}; }
Reply ok(std::string text) { return {text.empty() ? "+OK\r\n" : "+OK " + text + "\r\n"}; }

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

std::optional<size_t> Transaction::message(const std::string& arg, Reply& error) const {
  auto n = str::to_uint(arg);
  if (!n || *n == 0) {
    error = err("Invalid message number: " + str::sanitize(arg, 40));
    return std::nullopt;
  }
  if (*n > deleted_.size()) {
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
  if (v == "STAT" && cmd.args.empty()) return ok(std::to_string(live_count()) + " " + std::to_string(live_size()));
  if (v == "LIST" && cmd.args.size() <= 1) return list(cmd);
  if (v == "UIDL" && cmd.args.size() <= 1) return uidl(cmd);
  if (v == "RETR" && cmd.args.size() == 1) return retr(cmd);
  if (v == "TOP" && cmd.args.size() == 2) return top(cmd);
  if (v == "DELE" && cmd.args.size() == 1) return dele(cmd);
  if (v == "NOOP" && cmd.args.empty()) return ok("");
  if (v == "RSET" && cmd.args.empty()) return rset();
  if (v == "QUIT") return quit();
  for (const char* known : {"STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "NOOP", "RSET"})
    if (v == known) return err("Wrong number of arguments.");
  return err("Unknown command: " + v);
}

Reply Transaction::list(const Command& cmd) const {
  Reply r;
  if (!cmd.args.empty()) {
    auto i = message(cmd.args[0], r);
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
    auto i = message(cmd.args[0], r);
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
  auto i = message(cmd.args[0], r);
  if (!i) return r;
  retrieved_[*i] = true;
  r = ok(std::to_string(drop_.size(*i)) + " octets");
  r.stream = *i;
  return r;
}

Reply Transaction::top(const Command& cmd) {
  Reply r;
  auto i = message(cmd.args[0], r);
  if (!i) return r;
  auto lines = str::to_uint(cmd.args[1]);
  if (!lines) return err("Invalid number of lines: " + str::sanitize(cmd.args[1], 40));
  r = ok("");
  r.stream = *i;
  // More lines than any message has is the same as the whole body.
  r.top_lines = static_cast<long>(std::min<unsigned long long>(*lines, 1ull << 40));
  return r;
}

Reply Transaction::dele(const Command& cmd) {
  Reply r;
  auto i = message(cmd.args[0], r);
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
