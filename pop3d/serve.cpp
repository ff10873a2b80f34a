#include "pop3d/serve.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <unordered_map>
#include <vector>

#include "lib/log/log.h"
#include "pop3d/connection.h"
#include "pop3d/settings.h"

namespace buzon::pop3d {
namespace {

std::string numeric(const sockaddr_storage& ss, socklen_t len) {
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0)
    return "unknown";
  std::string s = host;
  // An IPv4 client on a dual-stack socket: show it as IPv4.
  if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos) s.erase(0, 7);
  return s;
}

// Dovecot counts a client as local (secure for plaintext logins) when it
// connects over loopback or from the server's own address.
bool is_local(const std::string& rip, const std::string& lip) {
  return rip == lip || rip == "::1" || rip.rfind("127.", 0) == 0;
}

}  // namespace

int serve(daemon::Context& ctx) {
  Settings settings = take_loaded_settings(ctx, "pop3d");

  event::Loop loop;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;
  std::unique_ptr<daemon::Server> server;

  auto done = [&](Connection* c) {
    auto node = connections.extract(c);
    if (!node.empty()) loop.defer_delete(std::move(node.mapped()));
    server->client_done();
  };
  server = std::make_unique<daemon::Server>(loop, ctx, settings.client_limit, [&](Fd fd) {
    sockaddr_storage peer{}, self{};
    socklen_t plen = sizeof peer, slen = sizeof self;
    if (::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&peer), &plen) < 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&self), &slen) < 0) {
      // The client is already gone: there is nobody to talk to.
      log::warning(sys_error("getpeername").message);
      server->client_done();
      return;
    }
    Endpoints ep{numeric(peer, plen), numeric(self, slen)};
    bool local = is_local(ep.rip, ep.lip);
    auto c = std::make_unique<Connection>(loop, std::move(fd), settings, std::move(ep), local, done);
    connections.emplace(c.get(), std::move(c));
  });
  server->on_stop([&](daemon::Server::Stop why) {
    // Reload: sessions finish on the old configuration; only a stop ends
    // idle sessions.
    if (why == daemon::Server::Stop::Drain) return;
    std::vector<Connection*> all;
    for (auto& [raw, owned] : connections) all.push_back(raw);
    for (Connection* c : all)
      if (connections.count(c)) c->stop();
  });
  loop.run();
  connections.clear();
  server.reset();
  return 0;
}

}  // namespace buzon::pop3d
