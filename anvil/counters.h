// Counters - anvil's table: per client (an "ident", service:address)
// the number of open connections and the number of connections, messages,
// recipients, new TLS sessions and AUTH commands in the current time
// window. No I/O and no clock of its own: every call gets "now", so the
// window logic is testable with an injected clock.
//
// The window is Postfix anvil's: it starts at a client's first event and
// lasts anvil_rate_time_unit; the first event after it ends starts a new
// window with every rate back at zero (a fixed window per client, not a
// sliding one: a client can do at most 2 * limit in any one time unit,
// which is what Postfix promises too).
//
// An entry without open connections is forgotten once its window is over
// (expire()); an entry with open connections stays.
//
// LIMITS  kIdentMax bytes per ident; kEntriesMax entries. When the table is
//         full after expiry, new clients are answered as if seen for the
//         first time (count 1, rate 1) without being stored: anvil then
//         under-counts (mail keeps flowing) rather than grow without bound.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace buzon::anvil {

constexpr size_t kIdentMax = 256;
constexpr size_t kEntriesMax = 100000;

// True when ident is 1..kIdentMax printable ASCII bytes without blanks.
bool ident_ok(std::string_view ident);

enum class Event { Message, Recipient, NewTls, Auth };

class Counters {
 public:
  // unit: anvil_rate_time_unit in seconds (at least 1).
  explicit Counters(std::time_t unit);

  struct Connected {
    unsigned count = 0;  // open connections, this one included
    unsigned rate = 0;   // connections in the window, this one included
    bool stored = true;  // false: the table was full (see LIMITS); do not
                         // call disconnect() for it
  };
  // A client connected. The caller remembers it and calls disconnect()
  // once, also when its own peer (an smtpd process) goes away.
  Connected connect(std::string_view ident, std::time_t now);
  // A connection of ident ended. Unknown idents and a zero count are
  // ignored (a reply is never an error).
  void disconnect(std::string_view ident, std::time_t now);
  // One more event of kind what; returns the rate in the window, this one
  // included.
  unsigned count(Event what, std::string_view ident, std::time_t now);

  struct Snapshot {
    unsigned count = 0, rate = 0, message = 0, recipient = 0, newtls = 0, auth = 0;
  };
  // Current values without counting anything (zeros for an unknown ident
  // or a window that is over).
  Snapshot lookup(std::string_view ident, std::time_t now) const;

  // Forgets entries without connections whose window is over.
  void expire(std::time_t now);
  size_t size() const { return entries_.size(); }

  // The "statistics: ..." log lines of Postfix's anvil for the maxima
  // since the last call (only those that are not zero), then starts over.
  // when: local time as "Nov 29 07:30:00".
  std::vector<std::string> take_statistics();

 private:
  struct Entry {
    unsigned count = 0;
    std::time_t start = 0;  // of the window
    unsigned rate = 0, message = 0, recipient = 0, newtls = 0, auth = 0;
  };
  struct Max {
    unsigned value = 0;
    std::string ident;
    std::time_t when = 0;
  };
  // The entry for ident with its window brought up to date, or nullptr
  // when the table is full.
  Entry* touch(std::string_view ident, std::time_t now);
  static void raise(Max& m, unsigned value, std::string_view ident, std::time_t now);

  std::time_t unit_;
  std::unordered_map<std::string, Entry> entries_;
  Max max_rate_, max_count_, max_message_, max_recipient_, max_newtls_, max_auth_;
  size_t max_size_ = 0;
  std::time_t max_size_when_ = 0;
};

}  // namespace buzon::anvil
