#include "authd/tickets.h"

#include <sys/random.h>

#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::authd {

void TicketStore::expire(Clock::time_point now) {
  while (!order_.empty() && (order_.front().first <= now || tickets_.size() > kTicketsMax)) {
    tickets_.erase(order_.front().second);
    order_.pop_front();
  }
  // Redeemed tickets leave stale entries in order_; keep it bounded too.
  while (order_.size() > 2 * kTicketsMax) order_.pop_front();
}

std::string TicketStore::issue(const std::string& user, const std::string& service, Clock::time_point now) {
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string t;
  for (unsigned char b : bytes) {
    t += kHex[b >> 4];
    t += kHex[b & 15];
  }
  Clock::time_point expires = now + kTicketLifetime;
  tickets_[t] = Entry{user, service, expires};
  order_.emplace_back(expires, t);
  expire(now);
  return t;
}

std::optional<std::string> TicketStore::redeem(std::string_view ticket, std::string_view service,
                                               Clock::time_point now) {
  expire(now);
  auto it = tickets_.find(std::string(ticket));
  if (it == tickets_.end()) return std::nullopt;
  Entry e = std::move(it->second);
  tickets_.erase(it);  // once, whatever the outcome
  if (e.service != service || e.expires <= now) return std::nullopt;
  return e.user;
}

attr::Message redeem_reply(TicketStore& store, const attr::Message& request, const UserLookup& lookup,
                           TicketStore::Clock::time_point now) {
  attr::Message m;
  auto user = store.redeem(request.get("ticket").value_or(""), request.get("service").value_or(""), now);
  if (!user) {
    log::warning("login ticket refused: unknown, used or expired");
    return m.set("status", 5).set("reason", "invalid ticket");
  }
  auto account = lookup(str::lower(*user));
  if (!account) {
    log::warning("userdb lookup of " + str::sanitize(*user, 64) + ": " + account.error().message);
    return m.set("status", 4).set("reason", "temporary failure");
  }
  if (!*account || (*account)->uid == 0) {
    log::warning("userdb: no usable account for " + str::sanitize(*user, 64));
    return m.set("status", 5).set("reason", "no such account");
  }
  const users::User& u = **account;
  return m.set("status", 0)
      .set("user", *user)
      .set("uid", std::to_string(u.uid))
      .set("gid", std::to_string(u.gid))
      .set("home", u.home);
}

}  // namespace buzon::authd
