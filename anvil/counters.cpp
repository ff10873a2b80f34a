#include "anvil/counters.h"

#include <algorithm>

namespace buzon::anvil {
namespace {

// ctime()'s "Nov 29 07:30:00", which Postfix's anvil logs.
std::string when_text(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%b %e %H:%M:%S", &tm);
  return buf;
}

void bump(unsigned& v) {
  if (v < UINT32_MAX) ++v;
}

}  // namespace

bool ident_ok(std::string_view ident) {
  if (ident.empty() || ident.size() > kIdentMax) return false;
  return std::all_of(ident.begin(), ident.end(), [](char c) { return c > 32 && c < 127; });
}

Counters::Counters(std::time_t unit) : unit_(std::max<std::time_t>(unit, 1)) {}

Counters::Entry* Counters::touch(std::string_view ident, std::time_t now) {
  auto it = entries_.find(std::string(ident));
  if (it == entries_.end()) {
    if (entries_.size() >= kEntriesMax) expire(now);
    if (entries_.size() >= kEntriesMax) return nullptr;
    it = entries_.emplace(std::string(ident), Entry{}).first;
    it->second.start = now;
    if (entries_.size() > max_size_) {
      max_size_ = entries_.size();
      max_size_when_ = now;
    }
    return &it->second;
  }
  Entry& e = it->second;
  // Postfix anvil: the first event after the window starts a new one.
  if (e.start + unit_ < now) {
    e.start = now;
    e.rate = e.message = e.recipient = e.newtls = e.auth = 0;
  }
  return &e;
}

void Counters::raise(Max& m, unsigned value, std::string_view ident, std::time_t now) {
  if (value <= m.value) return;
  m.value = value;
  m.ident = std::string(ident);
  m.when = now;
}

Counters::Connected Counters::connect(std::string_view ident, std::time_t now) {
  Entry* e = touch(ident, now);
  if (!e) return {1, 1, false};
  bump(e->count);
  bump(e->rate);
  raise(max_count_, e->count, ident, now);
  raise(max_rate_, e->rate, ident, now);
  return {e->count, e->rate};
}

void Counters::disconnect(std::string_view ident, std::time_t) {
  auto it = entries_.find(std::string(ident));
  if (it != entries_.end() && it->second.count > 0) --it->second.count;
}

unsigned Counters::count(Event what, std::string_view ident, std::time_t now) {
  Entry* e = touch(ident, now);
  if (!e) return 1;
  switch (what) {
    case Event::Message:
      bump(e->message);
      raise(max_message_, e->message, ident, now);
      return e->message;
    case Event::Recipient:
      bump(e->recipient);
      raise(max_recipient_, e->recipient, ident, now);
      return e->recipient;
    case Event::NewTls:
      bump(e->newtls);
      raise(max_newtls_, e->newtls, ident, now);
      return e->newtls;
    case Event::Auth:
      bump(e->auth);
      raise(max_auth_, e->auth, ident, now);
      return e->auth;
  }
  return 0;
}

Counters::Snapshot Counters::lookup(std::string_view ident, std::time_t now) const {
  Snapshot s;
  auto it = entries_.find(std::string(ident));
  if (it == entries_.end()) return s;
  const Entry& e = it->second;
  s.count = e.count;
  if (e.start + unit_ < now) return s;
  s.rate = e.rate;
  s.message = e.message;
  s.recipient = e.recipient;
  s.newtls = e.newtls;
  s.auth = e.auth;
  return s;
}

void Counters::expire(std::time_t now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.count == 0 && it->second.start + unit_ < now)
      it = entries_.erase(it);
    else
      ++it;
  }
}

std::vector<std::string> Counters::take_statistics() {
  std::vector<std::string> out;
  const std::string per = "/" + std::to_string(unit_) + "s";
  auto rate = [&](Max& m, const char* what) {
    if (m.value > 0)
      out.push_back("statistics: max " + std::string(what) + " " + std::to_string(m.value) + per + " for (" + m.ident +
                    ") at " + when_text(m.when));
    m = Max{};
  };
  rate(max_rate_, "connection rate");
  if (max_count_.value > 0)
    out.push_back("statistics: max connection count " + std::to_string(max_count_.value) + " for (" +
                  max_count_.ident + ") at " + when_text(max_count_.when));
  max_count_ = Max{};
  rate(max_message_, "message rate");
  rate(max_recipient_, "recipient rate");
  rate(max_newtls_, "newtls rate");  // Postfix's words
  rate(max_auth_, "auth rate");
  if (max_size_ > 0)
    out.push_back("statistics: max cache size " + std::to_string(max_size_) + " at " + when_text(max_size_when_));
  max_size_ = 0;
  return out;
}

}  // namespace buzon::anvil
