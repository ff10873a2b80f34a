#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "cli/pid_lock.h"
#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;

namespace {

// A child process that locks path the way master does and waits; the pipe
// says when the lock is held. Locks held by this process itself are not
// reported by F_GETLK, so the holder must be another process.
struct Locker {
  pid_t pid = -1;
  explicit Locker(const std::string& path, const char* content) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
      struct flock fl{};
      fl.l_type = F_WRLCK;
      fl.l_whence = SEEK_SET;
      if (fd < 0 || ::fcntl(fd, F_SETLK, &fl) < 0) _exit(1);
      (void)!::write(fd, content, strlen(content));
      (void)!::write(p[1], "x", 1);
      ::pause();
      _exit(0);
    }
    ::close(p[1]);
    char c;
    REQUIRE(::read(p[0], &c, 1) == 1);
    ::close(p[0]);
  }
  ~Locker() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

}  // namespace

TEST_CASE("pid lock: no file, or an unlocked stale file, is not running", "[pid_lock]") {
  test::TempDir t;
  CHECK(master_pid_file(t.path) == t.path + "/pid/master.pid");
  std::string path = t.path + "/master.pid";
  CHECK(lock_holder(path).value() == 0);
  REQUIRE(file::write_atomic(path, "  12345\n"));
  CHECK(lock_holder(path).value() == 0);  // left by a crash: nobody holds it
}

TEST_CASE("pid lock: the holder's pid is reported, and gone when it exits", "[pid_lock]") {
  test::TempDir t;
  std::string path = t.path + "/master.pid";
  pid_t held;
  {
    Locker l(path, "         1\n");  // the file may lie; the lock does not
    held = l.pid;
    CHECK(lock_holder(path).value() == held);
  }
  CHECK(lock_holder(path).value() == 0);
}

TEST_CASE("pid lock: unreadable paths are errors", "[pid_lock]") {
  test::TempDir t;
  std::string dir = t.path + "/d";
  REQUIRE(file::make_dirs(dir));
  REQUIRE(::symlink("/etc/passwd", (dir + "/link").c_str()) == 0);
  CHECK_FALSE(lock_holder(dir + "/link"));  // O_NOFOLLOW
}
