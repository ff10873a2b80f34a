// The listening sockets of master.cf services. master opens them (as root,
// so daemons never need the privilege to bind port 25) and hands one to
// each child as fd 3.
#pragma once
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "master/settings.h"

namespace buzon::master {

// Backlog of every listener: connections wait here while master forks or
// a busy daemon gets to accept(). It must hold a burst of clients: when it
// overflows, Linux answers with SYN cookies and then drops the client's ACK,
// so a client of a server-speaks-first protocol (SMTP, POP3, IMAP) believes
// it is connected and waits for a greeting that never comes (measured: of
// 2,000 simultaneous SMTP clients only 776 were ever greeted with 100).
// The kernel caps it at net.core.somaxconn.
constexpr int kListenBacklog = 4096;

struct Endpoint {
  bool inet = false;
  std::string host;  // inet: address to bind (numeric or name)
  std::string port;  // inet: decimal port or service name
  std::string path;  // unix: socket path
  bool is_public = false;  // unix: in public/ (0666) rather than private/

  // Identity across reloads: "inet:127.0.0.1:25" or "unix:/path".
  std::string key() const;
  // For messages: "127.0.0.1:25", "[::1]:25" or the path.
  std::string label() const;
};

// Where a service listens:
//   inet "host:port" or "[v6addr]:port": that address only;
//   inet "port": every inet_interfaces address ("all" = 0.0.0.0,
//        "loopback-only" = 127.0.0.1);
//   unix NAME: queue_directory/private/NAME, or public/NAME when private=n.
// Errors: malformed inet name, port out of 1..65535, a unix name that is
// not a single path component or does not fit sockaddr_un.
Result<std::vector<Endpoint>> endpoints_for(const config::Service& s, const Settings& st);

// socket, SO_REUSEADDR, bind, listen; non-blocking and close-on-exec (the
// spawn code gives the child its own copy without close-on-exec). unix: a
// stale socket file is replaced (anything else there is an error), public
// sockets are 0666 and private ones 0600, owned by mail_owner when root.
Result<Fd> open_listener(const Endpoint& e, const Settings& st);

}  // namespace buzon::master
