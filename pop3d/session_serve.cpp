#include "pop3d/session_serve.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "lib/attr/attr.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/privilege/privilege.h"
#include "pop3d/connection.h"
#include "pop3d/handoff.h"
#include "pop3d/settings.h"

namespace buzon::pop3d {
namespace {

constexpr std::chrono::milliseconds kHandoffTimeout{10000};
constexpr std::chrono::milliseconds kAuthdTimeout{10000};

struct Account {
  std::string user, home;
  uid_t uid = 0;
  gid_t gid = 0;
};

// authd's answer to the ticket: the only source of the user's identity.
Result<Account> redeem(const Settings& s, const std::string& ticket) {
  auto fd = attr::connect_unix(s.auth_path);
  if (!fd) return Error{"authd: " + fd.error().message};
  attr::Message req;
  req.set("request", "redeem").set("ticket", ticket).set("service", "pop");
  if (auto st = attr::write_message(fd->get(), req, kAuthdTimeout); !st) return Error{"authd: " + st.error().message};
  auto reply = attr::read_message(fd->get(), kAuthdTimeout);
  if (!reply) return Error{"authd: " + reply.error().message};
  if (reply->get("status") != "0")
    return Error{"authd refused the ticket: " + str::sanitize(reply->get("reason").value_or("no reason"), 80)};
  auto uid = reply->get_uint("uid");
  auto gid = reply->get_uint("gid");
  Account a{std::string(reply->get("user").value_or("")), std::string(reply->get("home").value_or("")), 0, 0};
  if (!uid || !gid || *uid == 0 || a.user.empty() || *uid > 0xfffffffeull || *gid > 0xfffffffeull)
    return Error{"authd: malformed userdb answer"};
  a.uid = static_cast<uid_t>(*uid);
  a.gid = static_cast<gid_t>(*gid);
  return a;
}

void refuse(int client, const char* text) {
  // Best effort: the client is told why before the connection closes.
  [[maybe_unused]] ssize_t n = ::write(client, text, std::strlen(text));
}

// One session, in its own child process. Returns the exit status.
int serve_one(const Settings& base, Fd channel) {
  auto got = receive_handoff(channel.get(), kHandoffTimeout);
  if (!got) {
    log::warning("pop3-session: " + got.error().message);
    return 1;
  }
  channel.reset();
  auto account = redeem(base, got->handoff.ticket);
  if (!account) {
    log::warning("pop3-session: rip=" + str::sanitize(got->handoff.rip, 64) + ": " + account.error().message);
    refuse(got->client.get(), "-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.\r\n");
    return 1;
  }
  if (auto st = privilege::drop_to_ids(account->uid, account->gid, account->user); !st) {
    log::warning("pop3-session: user=<" + str::sanitize(account->user, 128) + ">: " + st.error().message);
    refuse(got->client.get(), "-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.\r\n");
    return 1;
  }
  // A working directory the user may not read would break nothing, but it
  // should not stay queue_directory either.
  if ((account->home.empty() || ::chdir(account->home.c_str()) < 0) && ::chdir("/") < 0)
    log::warning(sys_error("pop3-session: chdir /").message);
  Settings s = base;
  s.tls.reset();  // the login process keeps TLS; here the socket is plaintext
  event::Loop loop;
  Endpoints ep{str::sanitize(got->handoff.rip, 64), str::sanitize(got->handoff.lip, 64)};
  std::unique_ptr<Connection> c;
  PostLogin post{account->user, account->home, std::move(got->handoff.preread)};
  c = std::make_unique<Connection>(loop, std::move(got->client), s, std::move(ep), std::move(post),
                                   [&loop](Connection*) { loop.stop(); });
  loop.run();
  c.reset();
  return 0;
}

}  // namespace

int session_serve(daemon::Context& ctx) {
  Settings settings = take_loaded_settings(ctx, "pop3-session");
  // Children are not waited for one by one: the kernel reaps them.
  ::signal(SIGCHLD, SIG_IGN);

  event::Loop loop;
  std::unique_ptr<daemon::Server> server;
  server = std::make_unique<daemon::Server>(loop, ctx, settings.client_limit, [&](Fd fd) {
    pid_t pid = ::fork();
    if (pid == 0) {
      // The child never returns into the parent's event loop.
      ::signal(SIGCHLD, SIG_DFL);
      ctx.listen.reset();
      ctx.status.reset();
      std::_Exit(serve_one(settings, std::move(fd)));
    }
    if (pid < 0) log::warning(sys_error("pop3-session: fork").message);
    server->client_done();
  });
  loop.run();
  server.reset();
  return 0;
}

}  // namespace buzon::pop3d
