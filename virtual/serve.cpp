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

  auto handler = [&agent](const local::Request& req, std::vector<local::UnsyncedFile>*) { return agent.deliver(req); };
  local::serve_sessions(ctx, 1, handler, timeout);
  return 0;
}

}  // namespace buzon::vdeliver
