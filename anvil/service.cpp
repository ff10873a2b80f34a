#include "anvil/service.h"

namespace buzon::anvil {
namespace {

attr::Message failure(std::string_view reason) {
  attr::Message m;
  m.set("status", "5").set("reason", reason);
  return m;
}

}  // namespace

attr::Message Service::handle(const attr::Message& req, std::time_t now) {
  std::string_view request = req.get("request").value_or("");
  auto ident_value = req.get("ident");
  if (!ident_value) return failure("missing ident");
  std::string_view ident = *ident_value;
  if (!ident_ok(ident)) return failure("malformed ident");

  attr::Message r;
  r.set("status", "0");
  if (request == "connect") {
    Counters::Connected c = counters_.connect(ident, now);
    if (c.stored) ++open_[std::string(ident)];
    return r.set("count", c.count).set("rate", c.rate);
  }
  if (request == "disconnect") {
    // Only what this client opened: one smtpd cannot close another's.
    auto it = open_.find(std::string(ident));
    if (it != open_.end()) {
      counters_.disconnect(ident, now);
      if (--it->second == 0) open_.erase(it);
    }
    return r;
  }
  if (request == "message") return r.set("rate", counters_.count(Event::Message, ident, now));
  if (request == "recipient") return r.set("rate", counters_.count(Event::Recipient, ident, now));
  if (request == "newtls") return r.set("rate", counters_.count(Event::NewTls, ident, now));
  if (request == "auth") return r.set("rate", counters_.count(Event::Auth, ident, now));
  if (request == "lookup") {
    Counters::Snapshot s = counters_.lookup(ident, now);
    return r.set("count", s.count)
        .set("rate", s.rate)
        .set("message", s.message)
        .set("recipient", s.recipient)
        .set("newtls", s.newtls)
        .set("auth", s.auth);
  }
  return failure("unknown request");
}

void Service::close(std::time_t now) {
  for (const auto& [ident, n] : open_)
    for (unsigned i = 0; i < n; ++i) counters_.disconnect(ident, now);
  open_.clear();
}

}  // namespace buzon::anvil
