#include "local/serve.h"

#include <signal.h>

#include <memory>

#include "lib/log/log.h"
#include "lib/privilege/privilege.h"
#include "local/deliver.h"
#include "local/session.h"

namespace buzon::local {

int serve(daemon::Context& ctx) {
  // Write errors must come back as EFBIG/EPIPE, not kill the process in the
  // middle of a mailbox update.
  ::signal(SIGXFSZ, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  auto settings = Settings::from(ctx.cf);
  if (!settings) log::fatal(settings.error().message);
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.cf.get_time("ipc_timeout"));
  Deliverer deliverer(ctx.cf, std::move(*settings),
                      privilege::running_as_root() ? Mode::ForkAndDrop : Mode::InProcess);

  event::Loop loop;
  std::unique_ptr<Session> session;
  std::unique_ptr<daemon::Server> server;
  server = std::make_unique<daemon::Server>(
      loop, ctx, 1,
      [&](Fd client) {
        auto handler = [&deliverer](const Request& req) { return deliverer.deliver(req); };
        session = std::make_unique<Session>(loop, std::move(client), handler, timeout, [&] {
          loop.defer_delete(std::move(session));
          server->client_done();
        });
      });
  server->on_stop([&](daemon::Server::Stop) {
    if (session) session->close();
  });
  loop.run();
  return 0;
}

}  // namespace buzon::local
