#include "master/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "lib/daemon/daemon.h"
#include "lib/log/log.h"
#include "master/spawn.h"

extern char** environ;

namespace buzon::master {

Status check_services(const std::vector<config::Service>& services, const Settings& st) {
  std::set<std::string> seen;
  for (const auto& s : services) {
    std::string where = s.file + ":" + std::to_string(s.line) + ": ";
    if (s.command.empty()) return Error{where + "missing command for service " + s.name};
    if (s.maxproc < 0) return Error{where + "bad maxproc for service " + s.name};
    if (s.wakeup < 0) return Error{where + "bad wakeup time for service " + s.name};
    auto eps = endpoints_for(s, st);
    if (!eps) return Error{where + eps.error().message};
    // Two services on one socket would steal each other's clients (unix: the
    // second bind would even unlink the first one's socket).
    if (!seen.insert(s.name + "/" + s.type).second)
      return Error{where + "duplicate service " + s.name + " " + s.type};
  }
  return {};
}

Supervisor::Supervisor(event::Loop& loop, Settings st, bool debug)
    : loop_(loop),
      st_(std::move(st)),
      debug_(debug),
      env_(daemon_env(environ, st_.config_dir, st_.import_environment)),
      triggers_(loop, st_.trigger_timeout) {}

Supervisor::~Supervisor() = default;

std::string Supervisor::where(const config::Service& s) { return s.file + ":" + std::to_string(s.line); }

Result<std::unique_ptr<Supervisor::Service>> Supervisor::make_service(const config::Service& conf) {
  auto svc = std::make_unique<Service>();
  svc->conf = conf;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return sys_error(where(conf) + ": status pipe");
  svc->status_read = Fd(p[0]);
  svc->status_write = Fd(p[1]);
  // Only master's end is non-blocking; a child's 8-byte write never blocks
  // in practice and must not be lost when it would.
  fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
  Service* s = svc.get();
  svc->status_ev = std::make_unique<event::Event>(loop_, p[0], EV_READ | EV_PERSIST,
                                                  [this, s](short) { status_ready(*s); });
  svc->status_ev->add();
  svc->throttle_ev = std::make_unique<event::Event>(loop_, -1, 0, [this, s](short) {
    s->throttled = false;
    update(*s);
    if (s->conf.wakeup > 0) wakeup(*s);
  });
  return svc;
}

std::vector<std::string> Supervisor::open_listeners(Service& svc, std::vector<std::unique_ptr<Listener>> reuse) {
  std::vector<std::string> errors;
  auto eps = endpoints_for(svc.conf, st_);
  if (!eps) {
    errors.push_back(where(svc.conf) + ": " + eps.error().message);
  } else {
    for (auto& e : *eps) {
      std::unique_ptr<Listener> l;
      for (auto& r : reuse)
        if (r && r->fd && r->endpoint.key() == e.key()) {
          l = std::move(r);
          break;
        }
      if (!l) {
        auto fd = open_listener(e, st_);
        if (!fd) {
          errors.push_back(where(svc.conf) + ": " + fd.error().message);
          continue;
        }
        l = std::make_unique<Listener>();
        l->endpoint = e;
        l->fd = std::move(*fd);
        Service* s = &svc;
        Listener* lp = l.get();
        l->ev = std::make_unique<event::Event>(loop_, l->fd.get(), EV_READ | EV_PERSIST,
                                               [this, s, lp](short) { listener_ready(*s, *lp); });
      }
      svc.listeners.push_back(std::move(l));
    }
  }
  for (auto& r : reuse)
    if (r) close_listener(*r, true);  // the address is no longer configured
  return errors;
}

void Supervisor::close_listener(Listener& l, bool remove_socket) {
  if (l.ev) l.ev->del();
  for (auto& [pid, c] : children_)
    if (c.listener == &l) c.listener = nullptr;
  if (l.fd && remove_socket && !l.endpoint.inet) unlink(l.endpoint.path.c_str());
  l.fd.reset();
  l.available = 0;
}

Status Supervisor::start(const std::vector<config::Service>& services) {
  if (auto s = check_services(services, st_); !s) return s;
  for (const auto& conf : services) {
    auto svc = make_service(conf);
    if (!svc) return svc.error();
    if (auto errors = open_listeners(**svc, {}); !errors.empty()) return Error{errors.front()};
    services_.push_back(std::move(*svc));
  }
  // A trigger to a dying child or a client gone away must be an EPIPE, not
  // the end of master.
  signal(SIGPIPE, SIG_IGN);
  chld_ev_ = std::make_unique<event::Event>(loop_, SIGCHLD, EV_SIGNAL | EV_PERSIST, [this](short) { reap(); });
  hup_ev_ = std::make_unique<event::Event>(loop_, SIGHUP, EV_SIGNAL | EV_PERSIST, [this](short) { reload(); });
  term_ev_ = std::make_unique<event::Event>(loop_, SIGTERM, EV_SIGNAL | EV_PERSIST,
                                            [this](short) { stop(SIGTERM); });
  chld_ev_->add();
  hup_ev_->add();
  term_ev_->add();
  if (debug_) {
    int_ev_ = std::make_unique<event::Event>(loop_, SIGINT, EV_SIGNAL | EV_PERSIST, [this](short) { stop(SIGINT); });
    int_ev_->add();
  } else {
    signal(SIGINT, SIG_IGN);  // detached: only SIGTERM (buzon stop) ends master
  }
  for (auto& svc : services_) {
    arm(*svc);
    if (svc->conf.wakeup > 0) wakeup(*svc);
  }
  return {};
}

void Supervisor::arm(Service& svc) {
  if (svc.conf.wakeup > 0) {
    Service* s = &svc;
    svc.wakeup_ev = std::make_unique<event::Event>(loop_, -1, EV_PERSIST, [this, s](short) { wakeup(*s); });
    svc.wakeup_ev->add(std::chrono::seconds(svc.conf.wakeup));
  } else {
    svc.wakeup_ev.reset();
  }
  update(svc);
}

void Supervisor::update(Service& svc) {
  bool room = svc.conf.maxproc == 0 || svc.children < svc.conf.maxproc;  // 0: no limit, as in Postfix
  for (auto& l : svc.listeners) {
    bool want = !stopping_ && !svc.retired && !svc.throttled && room && l->fd && l->available == 0;
    if (want) {
      if (!l->ev->pending()) l->ev->add();
    } else {
      l->ev->del();
    }
  }
}

void Supervisor::listener_ready(Service& svc, Listener& l) {
  bool room = svc.conf.maxproc == 0 || svc.children < svc.conf.maxproc;
  if (stopping_ || svc.retired || svc.throttled || !room || l.available > 0) return update(svc);
  spawn_child(svc, l);
}

void Supervisor::spawn_child(Service& svc, Listener& l) {
  std::string path = command_path(svc.conf, st_);
  auto pid = spawn(path, daemon_argv(svc.conf, st_), env_, l.fd.get(), svc.status_write.get());
  if (!pid) {
    log::warning(pid.error().message);
    throttle(svc, path);
    return;
  }
  children_.emplace(*pid, Child{.pid = *pid, .service = &svc, .listener = &l, .path = path});
  ++svc.children;
  ++l.available;  // until it says otherwise: it is about to accept
  update(svc);
}

void Supervisor::status_ready(Service& svc) {
  char buf[512];
  for (;;) {
    ssize_t n = read(svc.status_read.get(), buf, sizeof buf);
    if (n > 0) {
      svc.status_buf.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EAGAIN: drained (EOF cannot happen: master holds a write end)
  }
  constexpr size_t kRecord = sizeof(daemon::StatusMessage);
  size_t off = 0;
  for (; svc.status_buf.size() - off >= kRecord; off += kRecord) {
    daemon::StatusMessage m;
    std::memcpy(&m, svc.status_buf.data() + off, kRecord);
    auto it = children_.find(m.pid);
    // A pid we do not know (already reaped) or of another service: the
    // message is stale or forged; availability is ours to track, not theirs.
    if (it == children_.end() || it->second.service != &svc) continue;
    Child& c = it->second;
    if (m.available == 0) ++c.use_count;
    if (c.signalled) continue;  // draining: never available again
    bool avail = m.available != 0;
    if (avail != c.available) {
      c.available = avail;
      if (c.listener) c.listener->available += avail ? 1 : -1;
    }
  }
  svc.status_buf.erase(0, off);
  update(svc);
}

void Supervisor::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) break;
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD
    }
    child_exited(pid, status);
  }
  if (stopping_) {
    if (children_.empty()) loop_.stop();
    return;
  }
  erase_finished_retired();
}

void Supervisor::child_exited(pid_t pid, int status) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  Child c = std::move(it->second);
  children_.erase(it);
  Service& svc = *c.service;
  --svc.children;
  if (c.listener && c.available) --c.listener->available;

  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  // Our own SIGHUP/SIGTERM/SIGKILL can kill a child before it has set up
  // its handlers: that is the signal doing its job, not a crash.
  // (Ctrl-C on a foreground master reaches the whole process group.)
  bool expected = (c.signalled && (sig == SIGHUP || sig == SIGTERM || sig == SIGKILL)) ||
                  (stop_signal_ == SIGINT && sig == SIGINT);
  if (!clean && !expected) {
    if (WIFEXITED(status))
      log::warning("process " + c.path + " pid " + std::to_string(pid) + " exit status " +
                   std::to_string(WEXITSTATUS(status)));
    else if (sig)
      log::warning("process " + c.path + " pid " + std::to_string(pid) + " killed by signal " +
                   std::to_string(sig));
    if (c.use_count == 0 && !c.signalled && !stopping_ && !svc.retired) throttle(svc, c.path);
  }
  if (stopping_ || svc.retired) return;
  update(svc);
  // qmgr must always run: start the next one now rather than at the next
  // wakeup period.
  if (svc.conf.wakeup > 0) wakeup(svc);
}

void Supervisor::throttle(Service& svc, const std::string& path) {
  if (svc.throttled) return;
  svc.throttled = true;
  log::warning(path + ": bad command startup -- throttling");
  svc.throttle_ev->add(std::chrono::duration_cast<std::chrono::milliseconds>(st_.throttle_time));
  update(svc);
}

void Supervisor::wakeup(Service& svc) {
  if (stopping_ || svc.retired || svc.throttled) return;  // unthrottling triggers again
  for (auto& l : svc.listeners)
    if (l->fd) {
      triggers_.send(l->endpoint, l->fd.get(), 'W');
      return;
    }
}

void Supervisor::retire(Service& svc) {
  svc.retired = true;
  for (auto& l : svc.listeners) close_listener(*l, true);
  svc.listeners.clear();
  svc.wakeup_ev.reset();
  svc.throttle_ev->del();
}

void Supervisor::erase_finished_retired() {
  std::erase_if(services_, [](const std::unique_ptr<Service>& s) { return s->retired && s->children == 0; });
}

void Supervisor::stop(int signo) {
  if (stopping_) return;
  stopping_ = true;
  stop_signal_ = signo;
  log::info("terminating on signal " + std::to_string(signo));
  // No new clients: the sockets close now (the files stay; the next master
  // replaces them), so nothing waits in a backlog no one will serve.
  for (auto& svc : services_) {
    for (auto& l : svc->listeners) close_listener(*l, false);
    svc->wakeup_ev.reset();
    svc->throttle_ev->del();
  }
  for (auto& [pid, c] : children_) {
    kill(pid, SIGTERM);
    c.signalled = true;
  }
  if (children_.empty()) {
    loop_.stop();
    return;
  }
  kill_ev_ = std::make_unique<event::Event>(loop_, -1, 0, [this](short) {
    for (auto& [pid, c] : children_) {
      log::warning("process " + c.path + " pid " + std::to_string(pid) + " did not stop: sending SIGKILL");
      kill(pid, SIGKILL);
    }
  });
  kill_ev_->add(std::chrono::duration_cast<std::chrono::milliseconds>(kStopWait));
}

}  // namespace buzon::master
