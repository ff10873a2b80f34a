// One-time login tickets (doc/auth-protocol.md, "Login tickets"): after a
// successful login a front end that asked for one gets a ticket; the
// post-login service (run as root, pop3d's session part) redeems it once
// for the user's uid, gid and home (the userdb lookup) before it drops to
// that user. A login process that is taken over can therefore only start
// sessions for users who really logged in through it, never for others.
//
// LIMITS  kTicketLifetime from issue to redemption, kTicketsMax
//         outstanding tickets (the oldest are dropped first).
#pragma once
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lib/attr/attr.h"
#include "lib/core/result.h"
#include "lib/users/users.h"

namespace buzon::authd {

constexpr std::chrono::seconds kTicketLifetime{30};
constexpr size_t kTicketsMax = 10000;

class TicketStore {
 public:
  using Clock = std::chrono::steady_clock;
  // A fresh ticket (32 hex digits from the kernel's random source) for
  // user, valid for service only. Empty when no randomness is available.
  std::string issue(const std::string& user, const std::string& service, Clock::time_point now);
  // Consumes the ticket: the user when it exists, was issued for service
  // and has not expired; nullopt otherwise. A ticket works once.
  std::optional<std::string> redeem(std::string_view ticket, std::string_view service, Clock::time_point now);
  size_t size() const { return tickets_.size(); }

 private:
  struct Entry {
    std::string user, service;
    Clock::time_point expires;
  };
  void expire(Clock::time_point now);
  std::unordered_map<std::string, Entry> tickets_;
  std::deque<std::pair<Clock::time_point, std::string>> order_;  // issue order, for expiry
};

// The userdb lookup behind "redeem": the account of user.
using UserLookup = std::function<Result<std::optional<users::User>>(const std::string& user)>;

// Answers a "redeem" request (ticket, service): status=0 with user, uid,
// gid, home; status=5 for a bad, used or expired ticket; status=4 when the
// account database cannot be read. Root (uid 0) is never handed out: no
// session runs as root.
attr::Message redeem_reply(TicketStore& store, const attr::Message& request, const UserLookup& lookup,
                           TicketStore::Clock::time_point now);

}  // namespace buzon::authd
