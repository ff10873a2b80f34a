// master - Buzon process manager (8)
// SYNOPSIS  master [-c config_dir] [-d]
// SECURITY  Runs as root in system mode (as the invoking user in instance
//           mode). Never reads network input: it binds the listeners of
//           master.cf, forks the daemons with the listening socket on fd 3
//           and reads only their 8-byte status records. Children get a
//           scrubbed environment and no other descriptor.
// LIMITS    maxproc (master.cf), default_process_limit,
//           service_throttle_time, trigger_timeout; one master per
//           queue_directory (pid/master.pid lock)
// SEE ALSO  buzon(1), master.cf(5), main.cf(5), smtpd(8), qmgr(8), local(8)
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/event/event.h"
#include "lib/log/log.h"
#include "lib/queue/dirs.h"
#include "lib/queue/journal.h"
#include "master/options.h"
#include "master/pid_lock.h"
#include "master/settings.h"
#include "master/supervisor.h"

using namespace buzon;

namespace {

// With fd 0, 1 or 2 closed, the first socket we open would become "stderr"
// and log lines would be written to a client.
void ensure_std_fds() {
  for (int fd = 0; fd <= 2; ++fd)
    if (fcntl(fd, F_GETFD) < 0) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        dup2(n, fd);
        close(n);
      }
    }
}

// buzon start passes a pipe as BUZON_READY_FD and waits for one byte, sent
// once every listener is bound: a start that fails after the pid lock is
// then reported as failed, not as started.
int take_ready_fd() {
  const char* env = getenv("BUZON_READY_FD");
  if (!env) return -1;
  int fd = atoi(env);
  unsetenv("BUZON_READY_FD");
  if (fd < 3 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -1;
  return fd;
}

void say_ready(int fd) {
  if (fd < 0) return;
  (void)!write(fd, "R", 1);
  close(fd);
}

// The daemons inherit this: one smtpd or pop3d process serves up to its
// *_process_client_limit (1,000) clients, each with a socket and more (a
// queue file, a mailbox), past the usual soft limit of 1,024. As Postfix's
// master, raise the soft limit to the hard one.
void raise_open_file_limit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) log::warning(sys_error("setrlimit RLIMIT_NOFILE").message);
}

}  // namespace

int main(int argc, char** argv) {
  ensure_std_fds();
  int ready_fd = take_ready_fd();
  umask(022);  // the modes master sets are meant literally
  auto opts = master::parse_options(argc, argv);
  if (!opts) log::fatal(opts.error().message + "\n" + master::kUsage);
  if (opts->debug) log::also_stderr(true);

  std::string dir = config::config_dir_from(opts->config_dir.empty() ? nullptr : opts->config_dir.c_str());
  auto cf = config::MainCf::load(dir);
  if (!cf) log::fatal(cf.error().message);
  log::init("master", *cf);
  if (opts->debug) log::also_stderr(true);
  raise_open_file_limit();
  auto st = master::load_settings(*cf);
  if (!st) log::fatal(st.error().message);
  auto services = config::load_master_cf(dir, *cf);
  if (!services) log::fatal(services.error().message);
  if (auto s = master::check_services(*services, *st); !s) log::fatal(s.error().message);

  std::optional<std::pair<uid_t, gid_t>> owner;
  if (st->root) owner = {{st->owner_uid, st->owner_gid}};
  if (auto s = queue::make_dirs(st->queue_dir, owner); !s) log::fatal(s.error().message);
  auto lock = master::PidLock::acquire(st->queue_dir + "/pid/master.pid");
  if (!lock) log::fatal(lock.error().message);

  event::Loop loop;
  master::Supervisor supervisor(loop, *st, opts->debug);
  if (auto s = supervisor.start(*services); !s) {
    lock->remove();
    log::fatal(s.error().message);
  }
  log::info("daemon started -- version " BUZON_VERSION ", configuration " + dir);
  say_ready(ready_fd);
  loop.run();
  // Every daemon is gone (the loop ends only then).
  if (auto s = queue::drop_journal(st->queue_dir); !s) log::warning("queue journal: " + s.error().message);
  lock->remove();
  return 0;
}
