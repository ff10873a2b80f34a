#include "qmgr/serve.h"

#include <unistd.h>

#include <list>
#include <memory>

#include "lib/log/log.h"
#include "lib/queue/spare.h"
#include "qmgr/journal_keeper.h"
#include "qmgr/scheduler.h"
#include "qmgr/settings.h"
#include "qmgr/trigger.h"

namespace buzon::qmgr {
namespace {

// Untrusted trigger clients served at once; each is gone after a few bytes.
constexpr int kTriggerClients = 16;
// After SIGTERM, in-flight deliveries get this long to report back (the
// daemon skeleton's own grace is 5 s and master's SIGKILL comes at 10 s).
constexpr std::chrono::seconds kStopGrace{4};

}  // namespace

int serve(daemon::Context& ctx) {
  // Work relative to the queue directory, like Postfix: the same paths are
  // valid with and without master's chroot (-r), where it is "/".
  std::string qdir = ctx.cf.get("queue_directory");
  if (::chdir(qdir.c_str()) < 0 && ::access("incoming", F_OK) != 0)
    log::fatal(sys_error("chdir " + qdir).message);
  queue::find_spare_cursors(".");
  // qmgr is the one long-lived queue owner: it must not exit after max_use
  // triggers or max_idle seconds like an ordinary server process.
  if (auto s = ctx.cf.set("max_use", "0"); !s) log::fatal(s.error().message);
  Settings settings = Settings::from(ctx.cf);
  auto trigger_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.cf.get_time("trigger_timeout"));

  event::Loop loop;
  Scheduler sched(loop, settings);
  std::list<std::unique_ptr<TriggerClient>> clients;
  daemon::Server server(
      loop, ctx, kTriggerClients,
      [&](Fd fd) {
        bool trusted = trusted_trigger_peer(fd.get());
        // A trusted client keeps its connection while it runs (every smtpd
        // process one): it must not hold one of the kTriggerClients places.
        if (trusted) server.client_done();
        clients.emplace_back();
        auto it = std::prev(clients.end());
        *it = std::make_unique<TriggerClient>(
            loop, std::move(fd), trusted, trigger_timeout,
            [&](const Trigger& t) {
              switch (t.kind) {
                case Trigger::Wake: return sched.wakeup();
                case Trigger::Flush: return sched.flush();
                case Trigger::Named: return sched.wakeup_for(t.id);
              }
            },
            [&, it, trusted] {
              clients.erase(it);
              if (!trusted) server.client_done();
            });
      },
      /*persistent=*/true);

  bool idle = false;
  server.on_stop([&](daemon::Server::Stop) {
    for (auto& c : clients) c->close();
    sched.stop([&] {
      idle = true;
      loop.stop();
    });
  });
  // Before the first delivery: a crash may have left queue files to restore.
  JournalKeeper journal(loop, ".");
  journal.start();
  sched.start();
  loop.run();
  if (!idle && sched.in_flight() > 0) {
    // The skeleton stopped the loop as soon as no trigger client was left;
    // keep it running for the replies still on their way.
    event::Event grace(loop, -1, 0, [&](short) { loop.stop(); });
    grace.add(kStopGrace);
    loop.run();
    if (sched.in_flight() > 0)
      log::warning("stopping with " + std::to_string(sched.in_flight()) + " deliveries in flight");
  }
  // The trigger clients closed at the stop are erased by deferred calls
  // that use `clients` and `server`: they run now, while both exist (the
  // loop would run them when it is destroyed, after them). smtpd's kept
  // connections make a client at the stop the rule, not the exception.
  loop.run_pending();
  return 0;
}

}  // namespace buzon::qmgr
