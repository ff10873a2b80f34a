#include "master/listeners.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include "lib/core/strings.h"

namespace buzon::master {

std::string Endpoint::key() const { return inet ? "inet:" + label() : "unix:" + path; }

std::string Endpoint::label() const {
  if (!inet) return path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

namespace {

Status check_port(const std::string& port) {
  if (port.empty()) return Error{"empty port"};
  if (auto n = str::to_uint(port)) {
    if (*n < 1 || *n > 65535) return Error{"port out of range: " + port};
    return {};
  }
  for (char c : port)  // a service name from /etc/services, e.g. "smtp"
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return Error{"bad port: " + port};
  return {};
}

std::string interface_address(const std::string& item) {
  if (str::iequals(item, "all")) return "0.0.0.0";
  if (str::iequals(item, "loopback-only")) return "127.0.0.1";
  if (item.size() > 2 && item.front() == '[' && item.back() == ']') return item.substr(1, item.size() - 2);
  return item;
}

Result<std::vector<Endpoint>> inet_endpoints(const config::Service& s, const Settings& st) {
  const std::string& name = s.name;
  std::vector<Endpoint> out;
  std::string host, port;
  if (!name.empty() && name.front() == '[') {
    auto close = name.find("]:");
    if (close == std::string::npos || close == 1) return Error{"bad inet service name: " + name};
    host = name.substr(1, close - 1);
    port = name.substr(close + 2);
  } else if (auto colon = name.find(':'); colon != std::string::npos) {
    if (name.find(':', colon + 1) != std::string::npos)
      return Error{"bad inet service name (IPv6 needs [brackets]): " + name};
    if (colon == 0) return Error{"bad inet service name: " + name};
    host = name.substr(0, colon);
    port = name.substr(colon + 1);
  } else {
    port = name;
  }
  if (auto p = check_port(port); !p) return Error{p.error().message + " in service " + name};
  if (!host.empty()) {
    out.push_back(Endpoint{.inet = true, .host = host, .port = port});
    return out;
  }
  if (st.inet_interfaces.empty()) return Error{"inet_interfaces is empty: nowhere to listen for " + name};
  for (const auto& item : st.inet_interfaces) {
    Endpoint e{.inet = true, .host = interface_address(item), .port = port};
    bool dup = false;
    for (const auto& o : out) dup = dup || o.key() == e.key();
    if (!dup) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::vector<Endpoint>> endpoints_for(const config::Service& s, const Settings& st) {
  if (s.type == "inet") return inet_endpoints(s, st);
  if (s.type != "unix") return Error{"unsupported service type: " + s.type};
  // The name becomes a path under the queue: one component, nothing that
  // climbs out of private/ or public/.
  if (s.name.empty() || s.name == "." || s.name == ".." || s.name.find('/') != std::string::npos)
    return Error{"bad unix service name: " + s.name};
  Endpoint e{.path = st.queue_dir + (s.is_private ? "/private/" : "/public/") + s.name,
             .is_public = !s.is_private};
  if (e.path.size() >= sizeof(sockaddr_un{}.sun_path))
    return Error{"socket path too long for sockaddr_un: " + e.path};
  return std::vector<Endpoint>{std::move(e)};
}

namespace {

Result<Fd> open_inet(const Endpoint& e) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(e.host.c_str(), e.port.c_str(), &hints, &res); rc != 0)
    return Error{"cannot resolve " + e.label() + ": " + gai_strerror(rc)};
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  Fd fd(socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol));
  if (!fd) return sys_error("socket " + e.label());
  int on = 1;
  // A restart must not wait for TIME_WAIT connections of the old master.
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
    return sys_error("setsockopt SO_REUSEADDR " + e.label());
  // Keep "::" meaning IPv6 only, so that a separate 0.0.0.0 entry can bind.
  if (res->ai_family == AF_INET6 && setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0)
    return sys_error("setsockopt IPV6_V6ONLY " + e.label());
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) < 0) return sys_error("bind " + e.label());
  if (listen(fd.get(), kListenBacklog) < 0) return sys_error("listen " + e.label());
  return fd;
}

Result<Fd> open_unix(const Endpoint& e, const Settings& st) {
  struct stat sb{};
  if (lstat(e.path.c_str(), &sb) == 0) {
    // A socket left by a previous master is stale (the pid lock says we are
    // the only one); anything else is not ours to delete.
    if (!S_ISSOCK(sb.st_mode)) return Error{e.path + ": exists and is not a socket"};
    if (unlink(e.path.c_str()) < 0) return sys_error("unlink " + e.path);
  } else if (errno != ENOENT) {
    return sys_error("lstat " + e.path);
  }
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket " + e.path);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, e.path.c_str(), e.path.size() + 1);  // length checked in endpoints_for
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return sys_error("bind " + e.path);
  // Access control is the directory (private/ 0700); the socket mode only
  // has to let the right users connect.
  if (chmod(e.path.c_str(), e.is_public ? 0666 : 0600) < 0) return sys_error("chmod " + e.path);
  if (st.root && lchown(e.path.c_str(), st.owner_uid, st.owner_gid) < 0) return sys_error("chown " + e.path);
  if (listen(fd.get(), kListenBacklog) < 0) return sys_error("listen " + e.path);
  return fd;
}

}  // namespace

Result<Fd> open_listener(const Endpoint& e, const Settings& st) {
  return e.inet ? open_inet(e) : open_unix(e, st);
}

}  // namespace buzon::master
