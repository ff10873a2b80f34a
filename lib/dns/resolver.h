// Asynchronous DNS on the event loop (c-ares): the lookups that smtpd's
// restrictions and its "connect from name[addr]" need, never blocking the
// loop, so one slow name server delays only the sessions that wait for it.
//
// Name servers: Config::servers ("127.0.0.1:5353,[::1]:53", the main.cf
// parameter dns_servers) or, when empty, those of /etc/resolv.conf. The
// restrictions' questions go to DNS only; a client's name may come from
// the hosts file first (Config::hosts_file), as the C library's resolver
// gives it to Postfix. Tests point dns_servers at a dnsmasq of their own.
//
// LIMITS  Config::timeout per try and Config::tries tries per server (each
//         query gives up after at most about timeout * 2^tries per server);
//         a lookup that gets no answer in time is TempFail, never NotFound.
//         Names longer than kNameMax are NotFound without a query.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "lib/core/result.h"
#include "lib/event/event.h"
#include "lib/net/ip.h"

struct ares_channeldata;

namespace buzon::dns {

constexpr size_t kNameMax = 253;  // RFC 1035 2.3.4, without the trailing dot

enum class Status { Found, NotFound, TempFail };

struct Config {
  std::string servers;                          // "" for /etc/resolv.conf
  std::chrono::milliseconds timeout{2000};      // per try
  int tries = 2;
  // client_name() asks the hosts file (/etc/hosts) before DNS, for the
  // PTR step and for the forward confirmation, like nsswitch's usual
  // "hosts: files dns".
  bool hosts_file = false;
};

// What the client's address says about its name (Postfix smtpd_peer.c).
struct ClientName {
  Status reverse_status = Status::TempFail;  // the PTR lookup
  std::string reverse_name;                  // when reverse_status is Found
  Status status = Status::TempFail;          // PTR and forward-confirmed
  std::string name;                          // when status is Found: verified, lower case
};

class Resolver {
 public:
  static Result<std::unique_ptr<Resolver>> create(event::Loop& loop, const Config& config);
  // Pending lookups end without calling their callbacks.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Postfix's reject_unknown_*_domain and reject_unknown_helo_hostname
  // test: Found when the name has an MX record, or else an A or AAAA
  // record; NotFound when DNS says it has none (NXDOMAIN, or no data for
  // all three); TempFail otherwise. done runs later, from the loop.
  void domain_exists(const std::string& name, std::function<void(Status)> done);
  // The client's name: PTR lookup, then a lookup of that name that must
  // give back the address (a "verified" name). A PTR name that does not
  // map back leaves status NotFound with reverse_status Found.
  void client_name(const net::IpAddr& addr, std::function<void(ClientName)> done);

 private:
  Resolver(event::Loop& loop, bool hosts_file) : loop_(loop), hosts_file_(hosts_file) {}
  static void sock_state(void* self, int fd, int readable, int writable);
  void on_socket(int fd, short what);
  void schedule_timer();

  event::Loop& loop_;
  const bool hosts_file_;
  ares_channeldata* channel_ = nullptr;
  std::map<int, std::unique_ptr<event::Event>> sockets_;
  std::unique_ptr<event::Event> timer_;
};

}  // namespace buzon::dns
