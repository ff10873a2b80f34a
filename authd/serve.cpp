#include "authd/serve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <unordered_map>

#include "authd/conversation.h"
#include "authd/tickets.h"
#include "lib/file/file.h"
#include "lib/log/log.h"

namespace buzon::authd {
namespace {

constexpr size_t kReadChunk = 16384;
constexpr std::chrono::milliseconds kWriteTimeout{2000};
constexpr int kClientLimit = 1000;

std::string g_shadow;  // read by pre_jail, consumed by serve
constexpr const char* kShadowPath = "/etc/shadow";

bool uses_system(const config::MainCf& cf) {
  auto list = cf.get_list("auth_passdb");
  if (list.empty()) return cf.get("local_passwd_file").empty();
  for (const auto& i : list)
    if (i == "system") return true;
  return false;
}

class Client {
 public:
  Client(event::Loop& loop, Fd fd, Engine& engine, BanList& bans, const Limits& limits, TicketStore& tickets,
         const UserLookup& lookup, std::function<void(Client*)> done)
      : fd_(std::move(fd)),
        tickets_(tickets),
        lookup_(lookup),
        conversation_(engine, bans, limits),
        limits_(limits),
        done_(std::move(done)),
        read_ev_(loop, fd_.get(), EV_READ | EV_PERSIST, [this](short) { on_read(); }),
        delay_ev_(loop, -1, 0, [this](short) { send_delayed(); }) {
    read_ev_.add();
  }

 private:
  void on_read() {
    char buf[kReadChunk];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return finish();
    reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
    process();
  }

  // Answers complete requests until one is delayed: while a failure reply
  // waits, nothing more is read (a client cannot pipeline guesses past
  // the delay).
  void process() {
    while (!waiting_) {
      auto m = reader_.next();
      if (!m) return;
      if (!*m) {
        log::warning("auth client: " + m->error().message);
        return finish();
      }
      Reply r = handle(**m);
      if (r.delay && limits_.failure_delay.count() > 0) {
        waiting_ = true;
        pending_ = std::move(r);
        read_ev_.del();
        delay_ev_.add(limits_.failure_delay);
        return;
      }
      if (!send(r)) return;
    }
  }

  // Login tickets (authd/tickets.h) around the SASL conversation: an
  // "auth" with ticket=yes gets one with its success reply; "redeem"
  // consumes one.
  Reply handle(const attr::Message& m) {
    auto now = BanList::Clock::now();
    auto kind = m.get("request");
    if (kind == "redeem") return Reply{redeem_reply(tickets_, m, lookup_, now), false, true};
    if (kind == "auth") {
      want_ticket_ = m.get("ticket") == "yes";
      service_ = std::string(m.get("service").value_or(""));
    }
    Reply r = conversation_.handle(m, now);
    if (want_ticket_ && r.message.get("status") == "0" && r.message.get("user")) {
      std::string t = tickets_.issue(std::string(*r.message.get("user")), service_, now);
      if (t.empty()) return Reply{attr::Message().set("status", 4).set("reason", "temporary failure")};
      r.message.set("ticket", t);
    }
    return r;
  }

  void send_delayed() {
    waiting_ = false;
    if (!send(pending_)) return;
    read_ev_.add();
    process();
  }

  bool send(const Reply& r) {
    if (auto st = attr::write_message(fd_.get(), r.message, kWriteTimeout); !st || r.close) {
      finish();
      return false;
    }
    return true;
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    read_ev_.del();
    delay_ev_.del();
    done_(this);
  }

  Fd fd_;
  TicketStore& tickets_;
  const UserLookup& lookup_;
  bool want_ticket_ = false;
  std::string service_;
  attr::Reader reader_;
  Conversation conversation_;
  const Limits& limits_;
  std::function<void(Client*)> done_;
  event::Event read_ev_, delay_ev_;
  Reply pending_;
  bool waiting_ = false;
  bool finished_ = false;
};

}  // namespace

Status pre_jail(daemon::Context& ctx) {
  if (!uses_system(ctx.cf) || ::geteuid() != 0) return {};
  auto text = file::read_file(kShadowPath, kShadowFileMax);
  if (!text) log::warning("system passdb: " + text.error().message + ": only passwd hashes are usable");
  else g_shadow = std::move(*text);
  return {};
}

int serve(daemon::Context& ctx) {
  // Password checks are for the local front ends only: an inet service in
  // master.cf would let anyone on the network guess passwords past smtpd's
  // limits, so authd refuses to serve one.
  if (ctx.type != "unix")
    log::fatal("authd serves only UNIX-domain sockets, not " + ctx.type + " service " + ctx.service +
               ": fix master.cf");
  auto mechs = parse_mechanisms(ctx.cf.get_list("auth_mechanisms"));
  if (!mechs) log::fatal(mechs.error().message);
  auto dbs = passdbs_from(ctx.cf, g_shadow, kShadowPath);
  if (!dbs) log::fatal(dbs.error().message);
  g_shadow.clear();
  auto engine = Engine::create(std::move(*dbs), std::move(*mechs), ctx.cf.get_bool("auth_allow_weak_schemes"),
                               ctx.cf.get("myhostname"));
  if (!engine) log::fatal(engine.error().message);
  Limits limits;
  limits.failure_delay = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.cf.get_time("auth_failure_delay"));
  limits.request_limit = static_cast<unsigned>(ctx.cf.get_int("auth_request_limit"));
  BanList bans(static_cast<unsigned>(ctx.cf.get_int("auth_ban_threshold")), ctx.cf.get_time("auth_ban_window"),
               ctx.cf.get_time("auth_ban_time"));

  TicketStore tickets;
  const config::MainCf& cf = ctx.cf;
  UserLookup lookup = [&cf](const std::string& user) { return users::find(cf, user); };

  event::Loop loop;
  std::unordered_map<Client*, std::unique_ptr<Client>> clients;
  std::unique_ptr<daemon::Server> server;
  auto done = [&](Client* c) {
    auto node = clients.extract(c);
    if (!node.empty()) loop.defer_delete(std::move(node.mapped()));
    server->client_done();
  };
  // Persistent, like qmgr: the ban table lives as long as the process, so
  // one authd (maxproc 1) must not exit for idleness.
  server = std::make_unique<daemon::Server>(
      loop, ctx, kClientLimit,
      [&](Fd fd) {
        int fl = ::fcntl(fd.get(), F_GETFL);
        if (fl >= 0) ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK);
        auto c = std::make_unique<Client>(loop, std::move(fd), **engine, bans, limits, tickets, lookup, done);
        clients.emplace(c.get(), std::move(c));
      },
      true);
  loop.run();
  clients.clear();
  server.reset();
  return 0;
}

}  // namespace buzon::authd
