#include "master/trigger.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/log/log.h"

namespace buzon::master {
namespace {

// The address to connect to: the unix path, or the inet socket's own bound
// address with a wildcard replaced by loopback.
bool target(const Endpoint& e, int listen_fd, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  if (!e.inet) {
    auto* sa = reinterpret_cast<sockaddr_un*>(&ss);
    sa->sun_family = AF_UNIX;
    if (e.path.size() >= sizeof sa->sun_path) return false;
    std::memcpy(sa->sun_path, e.path.c_str(), e.path.size() + 1);
    len = sizeof(sockaddr_un);
    return true;
  }
  len = sizeof ss;
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return false;
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    if (in->sin_addr.s_addr == htonl(INADDR_ANY)) in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) in6->sin6_addr = in6addr_loopback;
  }
  return true;
}

}  // namespace

void Triggers::send(const Endpoint& e, int listen_fd, char byte) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!target(e, listen_fd, ss, len)) {
    log::warning(sys_error("trigger " + e.label() + ": no address").message);
    return;
  }
  Fd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    log::warning(sys_error("trigger " + e.label() + ": socket").message);
    return;
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    // Connected at once (always for unix sockets with room in the backlog).
    if (write(fd.get(), &byte, 1) != 1) log::warning(sys_error("trigger " + e.label() + ": write").message);
    return;
  }
  if (errno == EAGAIN && !e.inet) return;  // backlog full: the service has work queued already
  if (errno != EINPROGRESS) {
    log::warning(sys_error("trigger " + e.label() + ": connect").message);
    return;
  }
  unsigned long id = next_id_++;
  auto p = std::make_unique<Pending>();
  p->fd = std::move(fd);
  p->label = e.label();
  p->byte = byte;
  p->ev = std::make_unique<event::Event>(loop_, p->fd.get(), EV_WRITE,
                                         [this, id](short what) { finish(id, what); });
  p->ev->add(std::chrono::duration_cast<std::chrono::milliseconds>(timeout_));
  pending_.emplace(id, std::move(p));
}

void Triggers::finish(unsigned long id, short what) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = *it->second;
  int err = 0;
  socklen_t len = sizeof err;
  if (what & EV_TIMEOUT) {
    log::warning("trigger " + p.label + ": timeout");
  } else if (getsockopt(p.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
    errno = err ? err : errno;
    log::warning(sys_error("trigger " + p.label + ": connect").message);
  } else if (write(p.fd.get(), &p.byte, 1) != 1) {
    log::warning(sys_error("trigger " + p.label + ": write").message);
  }
  // This runs inside p.ev's own callback: free it once the callback returns.
  auto owned = std::move(it->second);
  pending_.erase(it);
  loop_.defer_delete(std::move(owned));
}

}  // namespace buzon::master
