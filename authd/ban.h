// Per-IP brute-force protection (as hMailServer's auto-ban): an address
// with `threshold` failures within `window` is refused for `ban_time`.
// Pure bookkeeping with the time passed in, so tests need no clock.
//
// LIMITS  kBanTableMax addresses tracked; when full, expired entries are
//         pruned, then the oldest-touched address is forgotten (an attacker
//         with more addresses than that is not stopped by a per-IP ban).
#pragma once
#include <chrono>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>

namespace buzon::authd {

constexpr size_t kBanTableMax = 65536;

class BanList {
 public:
  using Clock = std::chrono::steady_clock;
  // threshold 0 disables banning.
  BanList(unsigned threshold, std::chrono::seconds window, std::chrono::seconds ban_time,
          size_t max_entries = kBanTableMax);

  // True while ip is banned.
  bool banned(const std::string& ip, Clock::time_point now);
  // Records a failure; true when this failure starts a ban.
  bool failure(const std::string& ip, Clock::time_point now);
  size_t size() const { return table_.size(); }

 private:
  struct Entry {
    std::deque<Clock::time_point> failures;  // at most threshold_, within window_
    Clock::time_point banned_until{};
    std::list<std::string>::iterator lru;
  };
  void touch(Entry& e);
  void make_room(Clock::time_point now);
  unsigned threshold_;
  std::chrono::seconds window_, ban_time_;
  size_t max_entries_;
  std::unordered_map<std::string, Entry> table_;
  std::list<std::string> lru_;  // most recently touched first
};

}  // namespace buzon::authd
