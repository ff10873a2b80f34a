#include "smtpd/serve.h"

#include <unistd.h>

#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/dns/resolver.h"
#include "lib/log/log.h"
#include "lib/net/ip.h"
#include "lib/queue/committer.h"
#include "lib/queue/journal.h"
#include "lib/queue/spare.h"
#include "smtpd/connection.h"
#include "smtpd/settings.h"

namespace buzon::smtpd {
namespace {

// anvil's socket under queue_directory (master.cf: anvil unix - - n - 1 anvil).
constexpr const char* kAnvilPath = "private/anvil";
// An anvil that does not answer within this long is treated as down:
// the waiting sessions go on without limits.
constexpr std::chrono::milliseconds kAnvilTimeout{5000};

// Built by pre_jail (as root: key files are often root-only), used by serve.
Security g_security;

}  // namespace

Status pre_jail(daemon::Context& ctx) {
  std::string dir = ctx.cf.get("queue_directory");
  if (::chdir(dir.c_str()) < 0) return sys_error("chdir " + dir);
  // The queue journal needs it; a chroot (-r) hides /proc. Remembered.
  (void)queue::current_boot_id();
  // Local submission (sendmail) needs neither TLS nor AUTH.
  if (ctx.type == "unix") return {};
  auto sec = load_security(ctx.cf);
  if (!sec) return sec.error();
  g_security = std::move(*sec);
  return {};
}

// The name Postfix's smtpd_peer.c gives a client: the PTR name when it
// maps back to the address, else "unknown".
void take_name(Peer& p, const dns::ClientName& n) {
  auto status = [](dns::Status s) {
    return s == dns::Status::Found ? DnsStatus::Found : s == dns::Status::NotFound ? DnsStatus::NotFound : DnsStatus::TempFail;
  };
  p.name = n.status == dns::Status::Found ? n.name : "unknown";
  p.name_status = status(n.status);
  p.reverse_name_status = status(n.reverse_status);
}

void wake_qmgr(queue::QmgrWaker& waker) {
  if (auto st = waker.wake(); !st) log::warning("qmgr trigger: " + st.error().message);
}

int serve(daemon::Context& ctx) {
  auto loaded = load_settings(ctx.cf);
  if (!loaded) log::fatal(loaded.error().message);
  Settings settings = std::move(*loaded);
  settings.security = std::move(g_security);
  settings.queue_dir = std::string(".");  // pre_jail entered queue_directory (or chroot made it "/")
  const bool local = ctx.type == "unix";
  queue::find_spare_cursors(settings.queue_dir);

  // qmgr hears of a message as soon as the file is in incoming/, before
  // its fsync; a trigger that failed there is repeated once the commit is
  // over, and a failure then is logged.
  bool wake_failed = false;
  queue::QmgrWaker waker(settings.queue_dir);
  event::Loop loop;
  queue::Committer commits(
      loop, [&waker, &wake_failed](const std::string& id) {
        if (!waker.wake_for(id)) wake_failed = true;
      },
      settings.queue_dir);
  // Declared before the connections: they tell it goodbye as they go.
  std::unique_ptr<anvil::Client> anvil;
  settings.service = ctx.service;
  if (!local && settings.limits.any()) {
    anvil = std::make_unique<anvil::Client>(loop, kAnvilPath, kAnvilTimeout);
    settings.anvil = anvil.get();
  }
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;
  std::unique_ptr<daemon::Server> server;
  // After the loop (its events go first) and the connections (sessions
  // hold callbacks into it, guarded by their own lifetime).
  std::unique_ptr<dns::Resolver> resolver;
  if (!local) {
    dns::Config dc;
    dc.hosts_file = settings.peername_hosts_file;
    for (const auto& server_item : settings.dns_servers) dc.servers += (dc.servers.empty() ? "" : ",") + server_item;
    auto r = dns::Resolver::create(loop, dc);
    if (!r) log::fatal(r.error().message);
    resolver = std::move(*r);
    settings.resolver = resolver.get();
  }

  auto done = [&](Connection* c) {
    auto node = connections.extract(c);
    if (!node.empty()) loop.defer_delete(std::move(node.mapped()));
    server->client_done();
  };
  auto queued = [&] {
    if (std::exchange(wake_failed, false)) wake_qmgr(waker);
  };

  server = std::make_unique<daemon::Server>(loop, ctx, settings.client_limit, [&](Fd fd) {
    auto peer = local ? local_peer(fd.get(), ctx.cf) : network_peer(fd.get());
    if (!peer) {
      // The client is already gone (ENOTCONN) or the kernel refused to say
      // who it is: there is nobody to talk to.
      log::warning(peer.error().message);
      server->client_done();
      return;
    }
    auto start = [&loop, &settings, &connections, &commits, done, queued](Fd fd, Peer p) {
      auto c = std::make_unique<Connection>(loop, std::move(fd), settings, std::move(p), done, queued, commits);
      connections.emplace(c.get(), std::move(c));
    };
    auto ip = local ? std::nullopt : net::parse_ip(peer->addr);
    if (!ip || !settings.peername_lookup) {
      if (!local) peer->name_status = peer->reverse_name_status = DnsStatus::NotFound;
      return start(std::move(fd), std::move(*peer));
    }
    // Like Postfix, learn the client's name before the greeting; the loop
    // serves the other sessions meanwhile, and the resolver's timeouts
    // bound the wait.
    auto pending = std::make_shared<std::pair<Fd, Peer>>(std::move(fd), std::move(*peer));
    resolver->client_name(*ip, [start, pending](dns::ClientName n) {
      take_name(pending->second, n);
      start(std::move(pending->first), std::move(pending->second));
    });
  });
  server->on_stop([&](daemon::Server::Stop why) {
    // Reload: every session finishes on the old configuration, as Postfix's
    // smtpd does; only a stop says goodbye to idle sessions.
    if (why == daemon::Server::Stop::Drain) return;
    // stop() may finish a connection, which erases it from the map.
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

}  // namespace buzon::smtpd
