// The daemon skeleton: command line, configuration, jail, privilege drop
// (run), and the accept loop with master's availability protocol (Server).
#include "lib/daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string_view>

#include "lib/log/log.h"
#include "lib/privilege/privilege.h"

namespace buzon::daemon {
namespace {

// After SIGTERM, clients get this long to finish before the process exits
// anyway; master waits 10 s before SIGKILL, so this must stay below that.
constexpr std::chrono::seconds kTermGrace{5};
// After accept() fails for lack of descriptors or memory, stop polling the
// listening socket this long instead of spinning on a level-triggered event.
constexpr std::chrono::seconds kAcceptPause{1};
// Clients accepted per readiness event at most (see accept_ready).
constexpr int kAcceptBurst = 32;

constexpr const char* kUsage =
    "-c config_dir -n service -t inet|unix [-u] [-r] [-o name=value]... [args]";

}  // namespace

Result<Args> parse_args(int argc, const char* const* argv) {
  Args a;
  int i = 1;
  auto value_of = [&](std::string_view opt) -> Result<std::string> {
    if (i + 1 >= argc) return Error{"option " + std::string(opt) + " requires a value"};
    return std::string(argv[++i]);
  };
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // first argument
    if (arg == "-u") {
      a.unprivileged = true;
    } else if (arg == "-r") {
      a.chroot = true;
    } else if (arg == "-c" || arg == "-n" || arg == "-t" || arg == "-o") {
      auto v = value_of(arg);
      if (!v) return v.error();
      if (arg == "-c") {
        if (v->empty()) return Error{"empty -c value"};
        a.config_dir = *v;
      } else if (arg == "-n") {
        if (v->empty()) return Error{"empty -n value"};
        a.service = *v;
      } else if (arg == "-t") {
        if (*v != "inet" && *v != "unix") return Error{"bad -t value: " + *v};
        a.type = *v;
      } else {
        auto eq = v->find('=');
        if (eq == std::string::npos || eq == 0) return Error{"bad -o value (want name=value): " + *v};
        a.overrides.emplace_back(v->substr(0, eq), v->substr(eq + 1));
      }
    } else {
      return Error{"unknown option: " + std::string(arg)};
    }
  }
  for (; i < argc; ++i) a.args.emplace_back(argv[i]);
  if (a.service.empty()) return Error{"missing -n service"};
  if (a.type.empty()) return Error{"missing -t type"};
  return a;
}

namespace {

// fd 3 must be a listening socket: a daemon started by hand would otherwise
// accept() on whatever the shell left open there.
bool is_listening_socket(int fd) {
  struct stat st{};
  if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) return false;
  int listening = 0;
  socklen_t len = sizeof listening;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
}

// Master clears close-on-exec on fds 3 and 4 for us; set it back so that a
// program we run (local's pipe deliveries) cannot accept on our socket or
// forge status messages.
void set_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

Context setup(const Args& args, const Spec& spec) {
  Context ctx;
  std::string dir = config::config_dir_from(args.config_dir.empty() ? nullptr : args.config_dir.c_str());
  auto cf = config::load_for_service(dir, args.overrides);
  if (!cf) log::fatal(cf.error().message);
  ctx.cf = std::move(*cf);
  log::init(spec.name, ctx.cf);
  ctx.service = args.service;
  ctx.type = args.type;
  ctx.args = args.args;

  if (!is_listening_socket(kListenFd))
    log::fatal("no listening socket on fd 3 (this program is started by master)");
  ctx.listen = Fd(kListenFd);
  set_cloexec(kListenFd);
  if (int fl = fcntl(kListenFd, F_GETFL); fl >= 0 && !(fl & O_NONBLOCK))
    fcntl(kListenFd, F_SETFL, fl | O_NONBLOCK);  // a blocked accept would hang after losing the race
  struct stat st{};
  if (fstat(kStatusFd, &st) == 0) {
    ctx.status = Fd(kStatusFd);
    set_cloexec(kStatusFd);
  }

  // A client that disconnects mid-write must produce EPIPE, not kill us.
  signal(SIGPIPE, SIG_IGN);

  if (spec.pre_jail)
    if (auto s = spec.pre_jail(ctx); !s) log::fatal(s.error().message);

  bool root = privilege::running_as_root();
  // Not root means instance mode: there is no jail and no other user to
  // become, and master passes -r/-u as written in master.cf.
  if (args.chroot && root)
    if (auto s = privilege::chroot_to(ctx.cf.get("queue_directory")); !s) log::fatal(s.error().message);
  if (args.unprivileged && root && !spec.keep_root)
    if (auto s = privilege::drop_to(ctx.cf.get(spec.owner_param)); !s) log::fatal(s.error().message);
  return ctx;
}

}  // namespace

int run(int argc, char** argv, const Spec& spec) {
  auto args = parse_args(argc, argv);
  if (!args) log::fatal("usage: " + std::string(spec.name) + " " + kUsage + ": " + args.error().message);
  if (!spec.serve) log::fatal(std::string(spec.name) + ": no service function");
  Context ctx;
  try {
    ctx = setup(*args, spec);
  } catch (const std::exception& e) {
    log::fatal(e.what());
  }
  try {
    return spec.serve(ctx);
  } catch (const std::exception& e) {
    // serve() should not throw; an escaped exception is a bug, but it must
    // still end in the log rather than in std::terminate's stderr line.
    log::fatal(std::string("unexpected exception: ") + e.what());
  }
}

Server::Server(event::Loop& loop, Context& ctx, int client_limit, OnClient on_client, bool persistent)
    : loop_(loop),
      ctx_(ctx),
      client_limit_(client_limit < 1 ? 1 : client_limit),
      on_client_(std::move(on_client)),
      persistent_(persistent) {
  max_idle_ = ctx.cf.get_time("max_idle");
  // max_use is Postfix's count of clients per process. A process that
  // serves many clients at once counts it per client slot: retiring an
  // smtpd after 100 of its 1,000 concurrent sessions would cost a process
  // start (exec, configuration, TLS) every 100 messages.
  max_use_ = static_cast<unsigned long long>(ctx.cf.get_int("max_use")) * static_cast<unsigned long long>(client_limit_);

  accept_ev_ = std::make_unique<event::Event>(loop, ctx.listen.get(), EV_READ | EV_PERSIST,
                                              [this](short) { accept_ready(); });
  if (!persistent_ && max_idle_.count() > 0)
    idle_ev_ = std::make_unique<event::Event>(loop, -1, 0, [this](short) {
      if (active_ > 0) return;
      // Tell master first, so it forks a replacement instead of waiting for
      // a process that will not accept again.
      stopping_ = true;
      accept_ev_->del();
      report(false);
      loop_.stop();
    });
  hup_ev_ = std::make_unique<event::Event>(loop, SIGHUP, EV_SIGNAL | EV_PERSIST,
                                           [this](short) { begin_stop(Stop::Drain); });
  grace_ev_ = std::make_unique<event::Event>(loop, -1, 0, [this](short) {
    log::warning("stopping with " + std::to_string(active_) + " client(s) still connected");
    loop_.stop();
  });
  term_ev_ = std::make_unique<event::Event>(loop, SIGTERM, EV_SIGNAL | EV_PERSIST, [this](short) {
    begin_stop(Stop::Terminate);
    if (active_ > 0 && !grace_ev_->pending()) grace_ev_->add(kTermGrace);
  });
  pause_ev_ = std::make_unique<event::Event>(loop, -1, 0, [this](short) {
    accept_paused_ = false;
    update();
  });
  if (ctx.status) {
    // Only the read end's closing makes our write end "readable" (EPOLLERR):
    // master is gone, so no one will fork replacements or send signals.
    status_ev_ = std::make_unique<event::Event>(loop, ctx.status.get(), EV_READ | EV_PERSIST, [this](short) {
      status_ev_->del();
      begin_stop(Stop::Drain);
    });
    status_ev_->add();
  }
  hup_ev_->add();
  term_ev_->add();
  update();
}

Server::~Server() {
  // The process is about to exit or serve without us: never leave master
  // believing this pid still takes clients.
  report(false);
}

void Server::client_done() {
  if (active_ <= 0) MAIL_PANIC("client_done without an active client");
  --active_;
  update();
}

void Server::accept_ready() {
  // A burst of connects is taken in one turn of the loop, not one client
  // per turn behind everyone else's work (greeting delays of tens of ms
  // at 50 concurrent SMTP clients otherwise).
  for (int i = 0; i < kAcceptBurst && !stopping_ && !accept_paused_; ++i)
    if (!accept_one()) break;
}

bool Server::accept_one() {
  bool exhausted = max_use_ > 0 && served_ >= max_use_;
  if (stopping_ || exhausted || active_ >= client_limit_) {
    update();
    return false;
  }
  int fd = accept4(ctx_.listen.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    switch (errno) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
      case EINTR:
      case ECONNABORTED:
      case EPROTO:
        // Another process sharing the socket took the client, or the
        // client gave up before we got to it: nothing to do.
        return false;
      default:
        log::warning(sys_error("accept").message);
        pause_accepting();
        return false;
    }
  }
  ++active_;
  ++served_;
  if (!reported_taken_) {
    // Announce the first client even when still available (client_limit > 1):
    // master's crash throttle needs to know this process got past startup.
    reported_taken_ = true;
    report(false);
  }
  update();
  on_client_(Fd(fd));
  return true;
}

void Server::pause_accepting() {
  accept_paused_ = true;
  accept_ev_->del();
  pause_ev_->add(kAcceptPause);
}

void Server::update() {
  bool exhausted = max_use_ > 0 && served_ >= max_use_;
  bool available = !stopping_ && !exhausted && active_ < client_limit_;
  if (available && !accept_paused_) {
    if (!accept_ev_->pending()) accept_ev_->add();
  } else {
    accept_ev_->del();
  }
  report(available);
  if (active_ == 0 && (stopping_ || exhausted)) {
    if (idle_ev_) idle_ev_->del();
    grace_ev_->del();
    loop_.stop();
    return;
  }
  if (idle_ev_) {
    if (active_ == 0) {
      if (!idle_ev_->pending()) idle_ev_->add(max_idle_);
    } else {
      idle_ev_->del();
    }
  }
}

void Server::report(bool available) {
  int32_t v = available ? 1 : 0;
  if (v == reported_ || !ctx_.status) return;
  reported_ = v;
  StatusMessage m{static_cast<int32_t>(getpid()), v};
  ssize_t n;
  do n = write(ctx_.status.get(), &m, sizeof m);
  while (n < 0 && errno == EINTR);
  // EPIPE: master is gone; status_ev_ notices and drains us. Anything else
  // cannot be fixed from here, and availability is advisory for master.
  if (n != static_cast<ssize_t>(sizeof m) && errno != EPIPE) log::warning(sys_error("status pipe write").message);
}

void Server::begin_stop(Stop why) {
  if (why == Stop::Terminate) {
    if (terminating_) return;
    terminating_ = true;
  } else if (stopping_) {
    return;
  }
  stopping_ = true;
  if (on_stop_) on_stop_(why);
  update();
}

}  // namespace buzon::daemon
