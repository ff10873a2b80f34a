#include "lib/dns/resolver.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include "lib/core/strings.h"

namespace buzon::dns {
namespace {

// NXDOMAIN and NOERROR/NODATA are answers; everything else (timeouts,
// SERVFAIL, refused, no server) may be different next time.
Status status_of(int ares_status) {
  if (ares_status == ARES_SUCCESS) return Status::Found;
  if (ares_status == ARES_ENOTFOUND || ares_status == ARES_ENODATA) return Status::NotFound;
  return Status::TempFail;
}

std::string canonical(std::string name) {
  name = str::lower(name);
  while (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

// One domain_exists(): MX, then A, then AAAA until one has data.
struct DomainQuery {
  ares_channel channel;
  std::string name;
  std::function<void(Status)> done;
  int stage = 0;
  bool temp = false;  // a temporary failure on the way: NotFound is not sure
};

constexpr int kDomainTypes[] = {ns_t_mx, ns_t_a, ns_t_aaaa};

void domain_step(DomainQuery* q);

void domain_answer(void* arg, int status, int, unsigned char*, int) {
  std::unique_ptr<DomainQuery> q(static_cast<DomainQuery*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  if (status == ARES_SUCCESS) return q->done(Status::Found);
  // NXDOMAIN: the name does not exist, whatever the type.
  if (status == ARES_ENOTFOUND) return q->done(q->temp ? Status::TempFail : Status::NotFound);
  if (status != ARES_ENODATA) q->temp = true;
  if (++q->stage < 3) return domain_step(q.release());
  q->done(q->temp ? Status::TempFail : Status::NotFound);
}

void domain_step(DomainQuery* q) {
  ares_query(q->channel, q->name.c_str(), ns_c_in, kDomainTypes[q->stage], domain_answer, q);
}

struct NameQuery {
  ares_channel channel;
  net::IpAddr addr;
  bool hosts_file;
  ClientName result;
  std::function<void(ClientName)> done;
};

void finish(std::unique_ptr<NameQuery> q) {
  auto done = std::move(q->done);
  ClientName r = std::move(q->result);
  q.reset();
  done(std::move(r));
}

// The PTR name of an address: "1.2.0.192.in-addr.arpa", or the nibbles of
// an IPv6 address under ip6.arpa (RFC 3596 section 2.5).
std::string reverse_domain(const net::IpAddr& a) {
  std::string out;
  if (a.is_v4()) {
    for (int i = 3; i >= 0; --i) out += std::to_string(a.bytes[i]) + ".";
    return out + "in-addr.arpa";
  }
  static const char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += kHex[a.bytes[i] & 0xf];
    out += '.';
    out += kHex[a.bytes[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

void forward_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  std::unique_ptr<NameQuery> q(static_cast<NameQuery*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  if (status != ARES_SUCCESS) {
    q->result.status = status_of(status);
    return finish(std::move(q));
  }
  bool match = false;
  if (q->addr.is_v4()) {
    ares_addrttl addrs[32];
    int n = 32;
    if (ares_parse_a_reply(abuf, alen, nullptr, addrs, &n) == ARES_SUCCESS)
      for (int i = 0; i < n && !match; ++i) match = std::memcmp(&addrs[i].ipaddr, q->addr.bytes.data(), 4) == 0;
  } else {
    ares_addr6ttl addrs[32];
    int n = 32;
    if (ares_parse_aaaa_reply(abuf, alen, nullptr, addrs, &n) == ARES_SUCCESS)
      for (int i = 0; i < n && !match; ++i) match = std::memcmp(&addrs[i].ip6addr, q->addr.bytes.data(), 16) == 0;
  }
  // A name that does not map back is no name at all (Postfix: "unknown").
  q->result.status = match ? Status::Found : Status::NotFound;
  if (match) q->result.name = q->result.reverse_name;
  finish(std::move(q));
}

bool plausible_name(const std::string& name) {
  if (name.empty() || name.size() > kNameMax) return false;
  // Whatever a PTR record holds ends up in logs and Received: headers.
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) return false;
  return true;
}

int family(const net::IpAddr& a) { return a.is_v4() ? AF_INET : AF_INET6; }

// The forward confirmation of result.reverse_name: the hosts file when it
// knows the name (its answer is final, as with nsswitch), DNS otherwise.
void confirm(std::unique_ptr<NameQuery> q) {
  if (q->hosts_file) {
    hostent* h = nullptr;
    if (ares_gethostbyname_file(q->channel, q->result.reverse_name.c_str(), family(q->addr), &h) == ARES_SUCCESS && h) {
      bool match = false;
      for (char** a = h->h_addr_list; a && *a && !match; ++a)
        match = std::memcmp(*a, q->addr.bytes.data(), q->addr.size()) == 0;
      ares_free_hostent(h);
      q->result.status = match ? Status::Found : Status::NotFound;
      if (match) q->result.name = q->result.reverse_name;
      return finish(std::move(q));
    }
    if (h) ares_free_hostent(h);
  }
  NameQuery* raw = q.release();
  ares_query(raw->channel, raw->result.reverse_name.c_str(), ns_c_in, raw->addr.is_v4() ? ns_t_a : ns_t_aaaa,
             forward_answer, raw);
}

// A PTR answer's name, from DNS or the hosts file: confirmed next when it
// can be a host name at all.
void take_reverse_name(std::unique_ptr<NameQuery> q, const char* h_name) {
  std::string name = canonical(h_name);
  if (!plausible_name(name) || net::parse_ip(name)) {
    q->result.reverse_status = q->result.status = Status::NotFound;
    return finish(std::move(q));
  }
  q->result.reverse_status = Status::Found;
  q->result.reverse_name = name;
  confirm(std::move(q));
}

void reverse_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  std::unique_ptr<NameQuery> q(static_cast<NameQuery*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  hostent* h = nullptr;
  if (status == ARES_SUCCESS &&
      ares_parse_ptr_reply(abuf, alen, q->addr.bytes.data(), static_cast<int>(q->addr.size()), family(q->addr),
                           &h) != ARES_SUCCESS)
    status = ARES_ENODATA;  // an answer without a usable PTR record
  if (status != ARES_SUCCESS || !h || !h->h_name) {
    if (h) ares_free_hostent(h);
    q->result.reverse_status = q->result.status = status_of(status == ARES_SUCCESS ? ARES_ENODATA : status);
    return finish(std::move(q));
  }
  std::string name = h->h_name;
  ares_free_hostent(h);
  take_reverse_name(std::move(q), name.c_str());
}

void reverse_by_dns(NameQuery* q) {
  ares_query(q->channel, reverse_domain(q->addr).c_str(), ns_c_in, ns_t_ptr, reverse_answer, q);
}

// The hosts file's answer for the address (the channel's lookup order is
// "f", so ares_gethostbyaddr reads only the file); DNS when it has none.
void hosts_file_reverse_answer(void* arg, int status, int, hostent* h) {
  std::unique_ptr<NameQuery> q(static_cast<NameQuery*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  if (status != ARES_SUCCESS || !h || !h->h_name) return reverse_by_dns(q.release());
  take_reverse_name(std::move(q), h->h_name);
}

}  // namespace

Result<std::unique_ptr<Resolver>> Resolver::create(event::Loop& loop, const Config& config) {
  static const int init = ares_library_init(ARES_LIB_INIT_ALL);
  if (init != ARES_SUCCESS) return Error{std::string("c-ares: ") + ares_strerror(init)};
  std::unique_ptr<Resolver> r(new Resolver(loop, config.hosts_file));
  ares_options o{};
  o.sock_state_cb = &Resolver::sock_state;
  o.sock_state_cb_data = r.get();
  o.timeout = static_cast<int>(config.timeout.count());
  o.tries = config.tries;
  // Only ares_gethostbyaddr follows the lookup order, and only
  // client_name's hosts-file step calls it; every DNS question goes
  // through ares_query, which never reads /etc/hosts.
  char hosts_file_only[] = "f";
  o.lookups = hosts_file_only;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  int rc = ares_init_options(&r->channel_, &o, mask);
  if (rc != ARES_SUCCESS) return Error{std::string("c-ares init: ") + ares_strerror(rc)};
  if (!config.servers.empty()) {
    rc = ares_set_servers_ports_csv(r->channel_, config.servers.c_str());
    if (rc != ARES_SUCCESS) return Error{"dns_servers \"" + str::sanitize(config.servers) + "\": " + ares_strerror(rc)};
  }
  Resolver* raw = r.get();
  r->timer_ = std::make_unique<event::Event>(loop, -1, 0, [raw](short) {
    ares_process_fd(raw->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    raw->schedule_timer();
  });
  return r;
}

Resolver::~Resolver() {
  // Pending callbacks run now with ARES_EDESTRUCTION and only free their
  // state; sock_state may still be called for the sockets being closed.
  if (channel_) ares_destroy(channel_);
  channel_ = nullptr;
  sockets_.clear();
}

void Resolver::sock_state(void* self, int fd, int readable, int writable) {
  auto* r = static_cast<Resolver*>(self);
  // This runs inside ares_process_fd(), possibly from the very event being
  // replaced: the old one is switched off now and freed after the callback.
  if (auto it = r->sockets_.find(fd); it != r->sockets_.end()) {
    it->second->del();
    r->loop_.defer_delete(std::move(it->second));
    r->sockets_.erase(it);
  }
  if (!r->channel_ || (!readable && !writable)) return;
  short what = EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
  auto ev = std::make_unique<event::Event>(r->loop_, fd, what, [r, fd](short w) { r->on_socket(fd, w); });
  ev->add();
  r->sockets_[fd] = std::move(ev);
}

void Resolver::on_socket(int fd, short what) {
  ares_process_fd(channel_, (what & EV_READ) ? fd : ARES_SOCKET_BAD, (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
  schedule_timer();
}

void Resolver::schedule_timer() {
  // Null when nothing is pending: no timer then, so an idle resolver
  // costs nothing.
  timeval tv{};
  timeval* t = ares_timeout(channel_, nullptr, &tv);
  timer_->del();
  if (t) timer_->add(std::chrono::milliseconds(t->tv_sec * 1000 + t->tv_usec / 1000 + 1));
}

void Resolver::domain_exists(const std::string& name, std::function<void(Status)> done) {
  std::string n = canonical(name);
  if (n.empty() || n.size() > kNameMax) {
    loop_.defer([done = std::move(done)] { done(Status::NotFound); });
    return;
  }
  domain_step(new DomainQuery{channel_, std::move(n), std::move(done)});
  schedule_timer();
}

void Resolver::client_name(const net::IpAddr& addr, std::function<void(ClientName)> done) {
  auto* q = new NameQuery{channel_, addr, hosts_file_, {}, std::move(done)};
  if (hosts_file_)
    ares_gethostbyaddr(channel_, addr.bytes.data(), static_cast<int>(addr.size()), family(addr),
                       hosts_file_reverse_answer, q);
  else
    reverse_by_dns(q);
  schedule_timer();
}

}  // namespace buzon::dns
