// The DNS answers that the restriction lists need, asked without blocking
// the process: a command that needs one starts the lookups and waits
// (Output::dns_wait); the connection reads nothing meanwhile and hands
// the session dns_resume() when every answer is in, and the command is
// handled again from the start. Answers are kept by name for the session
// (a HELO name or sender domain is looked up once, not per RCPT).
//
// LIMITS  kDnsCacheMax names per session; beyond it the answers already in
//         are forgotten (asked again if needed). Each lookup is bounded by
//         the resolver's timeouts (lib/dns/resolver.h).
#include "lib/dns/resolver.h"
#include "lib/core/strings.h"
#include "smtpd/session.h"

namespace buzon::smtpd {
namespace {

constexpr size_t kDnsCacheMax = 256;

DnsStatus from_dns(dns::Status st) {
  switch (st) {
    case dns::Status::Found: return DnsStatus::Found;
    case dns::Status::NotFound: return DnsStatus::NotFound;
    case dns::Status::TempFail: return DnsStatus::TempFail;
  }
  return DnsStatus::TempFail;
}

std::string name_key(std::string_view name) {
  std::string n = str::lower(name);
  while (!n.empty() && n.back() == '.') n.pop_back();
  return n;
}

bool has_name(std::string_view domain) {
  return !domain.empty() && domain.front() != '[' && !net::parse_ip(domain);
}

}  // namespace

DnsStatus Session::dns_status(const std::string& name) {
  if (!s_.resolver) return DnsStatus::NotLooked;
  std::string key = name_key(name);
  if (auto it = dns_cache_.find(key); it != dns_cache_.end()) return it->second;
  if (dns_cache_.size() >= kDnsCacheMax) {
    for (auto it = dns_cache_.begin(); it != dns_cache_.end();)
      it = it->second == DnsStatus::NotLooked ? std::next(it) : dns_cache_.erase(it);
  }
  dns_cache_.emplace(key, DnsStatus::NotLooked);
  std::weak_ptr<bool> alive = alive_;
  s_.resolver->domain_exists(key, [this, alive, key](dns::Status st) {
    if (alive.expired()) return;
    dns_cache_[key] = from_dns(st);
    if (dns_wait_ && dns_answers_in() && dns_ready_) dns_ready_();
  });
  // c-ares may have answered already (no name server, say).
  return dns_cache_[key];
}

bool Session::dns_answers_in() const {
  for (const auto& [name, status] : dns_cache_)
    if (status == DnsStatus::NotLooked) return false;
  return true;
}

void Session::dns_prefetch(const std::string& name) {
  if (has_name(name)) (void)dns_status(name);
}

bool Session::dns_facts(Facts& f) {
  const Policy& p = *s_.policy;
  bool pending = false;
  auto need = [&](Restriction r, std::string_view name, DnsStatus& out) {
    if (!has_name(name) || !p.needs(r)) return;
    out = dns_status(std::string(name));
    if (out == DnsStatus::NotLooked) pending = true;
  };
  if (f.helo) need(Restriction::RejectUnknownHeloHostname, *f.helo, f.helo_status);
  if (f.sender && !f.sender->is_null) need(Restriction::RejectUnknownSenderDomain, f.sender->domain, f.sender_domain);
  if (f.recipient && !(f.route && (f.route->cls == AddressClass::Local || f.route->cls == AddressClass::VirtualAlias ||
                                    f.route->cls == AddressClass::VirtualMailbox)))
    need(Restriction::RejectUnknownRecipientDomain, f.recipient->domain, f.recipient_domain);
  dns_wait_ = pending;
  return !pending;
}

Output Session::dns_resume() {
  if (closed_ || !dns_answers_in()) return take();
  dns_wait_ = false;
  process();
  return take();
}

}  // namespace buzon::smtpd
