// A stand-in for libexec/master in t/cli/control_test: the same command
// line and the same pid-file lock as master, and nothing else, so that the
// start/stop/reload/status logic is tested without any daemon.
//   FAKE_MASTER=exit    log a line to maillog_file and exit 3 at startup
//   FAKE_MASTER=nolock  never take the lock nor say ready (start must time out)
// Like master, it creates the queue directories and then writes 'R' to
// BUZON_READY_FD.
// SIGHUP appends "reload" to maillog_file; SIGTERM exits 0.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/dirs.h"

using namespace buzon;

namespace {

void log_line(const std::string& path, const std::string& text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644));
  if (fd) (void)file::write_all(fd.get(), text + "\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "-c") != 0 || argv[2][0] != '/') return 64;
  auto cf = config::MainCf::load(argv[2]);
  if (!cf) return 78;
  const char* m = std::getenv("FAKE_MASTER");
  std::string mode = m ? m : "";
  std::string log = cf->get("maillog_file");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  if (mode == "exit") {
    log_line(log, "fake master: fatal: cannot bind 127.0.0.1:25");
    return 3;
  }
  Fd lock;
  if (mode != "nolock") {
    if (!queue::make_dirs(cf->get("queue_directory"), std::nullopt)) return 1;
    lock.reset(::open((cf->get("queue_directory") + "/pid/master.pid").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (!lock || ::fcntl(lock.get(), F_SETLK, &fl) < 0) return 1;
    std::string pid = std::to_string(::getpid()) + "\n";
    (void)file::write_all(lock.get(), pid);
    if (const char* ready = std::getenv("BUZON_READY_FD")) {
      (void)!::write(std::atoi(ready), "R", 1);
      ::close(std::atoi(ready));
    }
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return 1;
    if (sig == SIGTERM) return 0;
    log_line(log, "reload");
  }
}
