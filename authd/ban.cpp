#include "authd/ban.h"

namespace buzon::authd {

BanList::BanList(unsigned threshold, std::chrono::seconds window, std::chrono::seconds ban_time,
                 size_t max_entries)
    : threshold_(threshold), window_(window), ban_time_(ban_time), max_entries_(max_entries ? max_entries : 1) {}

bool BanList::banned(const std::string& ip, Clock::time_point now) {
  auto it = table_.find(ip);
  return it != table_.end() && now < it->second.banned_until;
}

void BanList::touch(Entry& e) { lru_.splice(lru_.begin(), lru_, e.lru); }

void BanList::make_room(Clock::time_point now) {
  if (table_.size() < max_entries_) return;
  for (auto it = table_.begin(); it != table_.end();) {
    const Entry& e = it->second;
    bool stale = now >= e.banned_until && (e.failures.empty() || now - e.failures.back() > window_);
    if (stale) {
      lru_.erase(e.lru);
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
  while (table_.size() >= max_entries_) {
    table_.erase(lru_.back());
    lru_.pop_back();
  }
}

bool BanList::failure(const std::string& ip, Clock::time_point now) {
  if (threshold_ == 0) return false;
  auto it = table_.find(ip);
  if (it == table_.end()) {
    make_room(now);
    lru_.push_front(ip);
    it = table_.emplace(ip, Entry{}).first;
    it->second.lru = lru_.begin();
  }
  Entry& e = it->second;
  touch(e);
  if (now < e.banned_until) return false;  // already banned: not a new ban
  while (!e.failures.empty() && now - e.failures.front() >= window_) e.failures.pop_front();
  e.failures.push_back(now);
  if (e.failures.size() < threshold_) return false;
  e.failures.clear();
  e.banned_until = now + ban_time_;
  return true;
}

}  // namespace buzon::authd
