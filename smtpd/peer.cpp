#include "smtpd/peer.h"

#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>

#include <vector>

#include "lib/users/users.h"

namespace buzon::smtpd {

std::string Peer::label() const {
  if (local) return name + "[uid=" + std::to_string(uid) + "]";
  return name + "[" + addr + "]";
}

Result<Peer> network_peer(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return sys_error("getpeername");
  char host[NI_MAXHOST];
  int rc = ::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  if (rc != 0) return Error{std::string("getnameinfo: ") + gai_strerror(rc)};
  Peer p;
  p.addr = host;
  // An IPv4 client on a dual-stack socket: show and match it as IPv4.
  if (p.addr.rfind("::ffff:", 0) == 0 && p.addr.find('.') != std::string::npos) p.addr.erase(0, 7);
  return p;
}

Result<Peer> local_peer(int fd, const config::MainCf& cf) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return sys_error("getsockopt SO_PEERCRED");
  Peer p;
  p.name = "local";
  p.local = true;
  p.uid = cred.uid;
  if (auto u = users::find_uid(cf, cred.uid); u && *u) {
    p.login = (*u)->name;
  } else {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* res = nullptr;
    if (::getpwuid_r(cred.uid, &pw, buf.data(), buf.size(), &res) == 0 && res && res->pw_name)
      p.login = res->pw_name;
    else
      p.login = "uid" + std::to_string(cred.uid);
  }
  return p;
}

}  // namespace buzon::smtpd
