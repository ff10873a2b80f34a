// Who is on the other end of a client connection: a network client (its
// numeric address, and the name DNS gives for it when smtpd_peername_lookup
// is on, else "unknown") or a local
// submitter on the UNIX socket (its uid from SO_PEERCRED, which the kernel
// vouches for; nothing the client says can change it).
#pragma once
#include <sys/types.h>

#include <string>

#include "lib/config/config.h"
#include "lib/core/result.h"
#include "smtpd/dns_status.h"

namespace buzon::smtpd {

struct Peer {
  std::string name = "unknown";  // verified name (PTR, forward-confirmed); "local" for local submission
  DnsStatus name_status = DnsStatus::NotLooked;          // of name
  DnsStatus reverse_name_status = DnsStatus::NotLooked;  // of the PTR lookup alone
  std::string addr;              // numeric IP ("::ffff:a.b.c.d" shown as a.b.c.d)
  bool local = false;            // the submit service on a UNIX socket
  uid_t uid = 0;                 // when local
  std::string login;             // when local: account name, or "uid<N>"

  // For log lines: "unknown[192.0.2.1]", "local[uid=1000]".
  std::string label() const;
};

// Peer of a connected TCP socket (getpeername, numeric).
Result<Peer> network_peer(int fd);
// Peer of a connected UNIX socket: SO_PEERCRED uid, named through
// users::find_uid (local_passwd_file or the system), then getpwuid, then
// "uid<N>".
Result<Peer> local_peer(int fd, const config::MainCf& cf);

}  // namespace buzon::smtpd
