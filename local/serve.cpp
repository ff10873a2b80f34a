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

  // One delivery per process, as Postfix, unless asked for more: then a
  // delivery's fsync no longer holds the process (Session, AsyncFsync), but
  // a command or an mbox lock wait still holds every delivery it serves.
  auto limit = ctx.cf.get_int("local_process_client_limit");
  int client_limit = limit < 1 ? 1 : limit > 1000 ? 1000 : static_cast<int>(limit);
  auto handler = [&deliverer](const Request& req, std::vector<UnsyncedFile>* unsynced) {
    return deliverer.deliver(req, unsynced);
  };
  auto sync_failed = [&deliverer](const UnsyncedFile& f, int err) { return deliverer.sync_failed(f, err); };
  if (client_limit == 1) serve_sessions(ctx, 1, handler, timeout);
  else serve_sessions(ctx, client_limit, handler, timeout, sync_failed);
  return 0;
}

}  // namespace buzon::local
