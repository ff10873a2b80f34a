#include "virtual/serve.h"

#include <signal.h>

#include <memory>

#include "lib/log/log.h"
#include "local/session.h"
#include "virtual/agent.h"

namespace buzon::vdeliver {

int serve(daemon::Context& ctx) {
  // Write errors must come back as EFBIG/EPIPE, not kill the process in the
  // middle of a mailbox update.
  ::signal(SIGXFSZ, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  auto settings = Settings::from(ctx.cf);
  if (!settings) log::fatal(settings.error().message);
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.cf.get_time("ipc_timeout"));
  Agent agent(std::move(*settings));

  event::Loop loop;
  std::unique_ptr<local::Session> session;
  std::unique_ptr<daemon::Server> server;
  server = std::make_unique<daemon::Server>(loop, ctx, 1, [&](Fd client) {
    auto handler = [&agent](const local::Request& req) { return agent.deliver(req); };
    session = std::make_unique<local::Session>(loop, std::move(client), handler, timeout, [&] {
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

}  // namespace buzon::vdeliver
