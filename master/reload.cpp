// SIGHUP: re-read main.cf and master.cf. A configuration that does not load
// or check changes nothing. Otherwise every running child is told to finish
// its clients and exit (so no process serves with a stale configuration for
// long), listeners whose service name+type and address are unchanged are
// kept (same fd: clients already in the backlog are not refused), removed
// services are closed, new ones opened, and new children get the new
// configuration.
#include <signal.h>

#include "lib/log/log.h"
#include "master/spawn.h"
#include "master/supervisor.h"

extern char** environ;

namespace buzon::master {

void Supervisor::reload() {
  if (stopping_) return;
  auto fail = [](const std::string& why) {
    log::warning(why + " -- reload aborted, keeping the running configuration");
  };
  auto cf = config::MainCf::load(st_.config_dir);
  if (!cf) return fail(cf.error().message);
  auto st = load_settings(*cf);
  if (!st) return fail(st.error().message);
  auto confs = config::load_master_cf(st_.config_dir, *cf);
  if (!confs) return fail(confs.error().message);
  if (st->queue_dir != st_.queue_dir) {
    // The pid lock and every socket live there; moving them needs a restart.
    log::warning("queue_directory change requires a restart; still using " + st_.queue_dir);
    st->queue_dir = st_.queue_dir;
  }
  if (auto s = check_services(*confs, *st); !s) return fail(s.error().message);

  log::info("reload -- version " BUZON_VERSION ", configuration " + st_.config_dir);
  st_ = std::move(*st);
  env_ = daemon_env(environ, st_.config_dir, st_.import_environment);
  triggers_.set_timeout(st_.trigger_timeout);

  for (auto& [pid, c] : children_) {
    if (!c.signalled) kill(pid, SIGHUP);
    c.signalled = true;
    if (c.available && c.listener) --c.listener->available;
    c.available = false;
  }

  std::vector<std::unique_ptr<Service>> old = std::move(services_);
  std::vector<std::unique_ptr<Service>> next;
  for (const auto& conf : *confs) {
    std::unique_ptr<Service> svc;
    for (auto& o : old)
      if (o && !o->retired && o->conf.name == conf.name && o->conf.type == conf.type) {
        svc = std::move(o);
        break;
      }
    std::vector<std::unique_ptr<Listener>> reuse;
    if (svc) {
      svc->conf = conf;
      // The fix for a throttled command is often exactly this reload.
      svc->throttled = false;
      svc->throttle_ev->del();
      reuse = std::move(svc->listeners);
      svc->listeners.clear();
    } else {
      auto made = make_service(conf);
      if (!made) {
        log::warning(made.error().message);
        continue;
      }
      svc = std::move(*made);
    }
    for (const auto& e : open_listeners(*svc, std::move(reuse))) log::warning(e);
    next.push_back(std::move(svc));
  }
  for (auto& o : old) {
    if (!o) continue;
    if (!o->retired) retire(*o);
    if (o->children > 0) next.push_back(std::move(o));  // kept until its children exit
  }
  services_ = std::move(next);
  for (auto& svc : services_) {
    if (svc->retired) continue;
    arm(*svc);
    // With children, the trigger follows their exit (child_exited).
    if (svc->conf.wakeup > 0 && svc->children == 0) wakeup(*svc);
  }
}

}  // namespace buzon::master
