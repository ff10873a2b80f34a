#include "lib/privilege/effective_ids.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "lib/privilege/privilege.h"

using buzon::privilege::EffectiveIds;

namespace {

// Id changes apply to the whole process: each case runs in a child.
int in_child(const std::function<int()>& fn) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) _exit(fn());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1000 + WTERMSIG(status);
}

std::vector<gid_t> groups() {
  int n = getgroups(0, nullptr);
  std::vector<gid_t> g(n > 0 ? n : 0);
  if (n > 0) getgroups(n, g.data());
  std::sort(g.begin(), g.end());
  return g;
}

}  // namespace

TEST_CASE("effective ids: uid 0 is refused", "[privilege]") {
  EffectiveIds as_root(0, 0);
  CHECK_FALSE(as_root.ok());
}

TEST_CASE("effective ids: without root only our own uid works, changing nothing", "[privilege]") {
  if (buzon::privilege::running_as_root()) {
    WARN("running as root: the instance-mode case is not reachable");
    return;
  }
  {
    EffectiveIds same(geteuid(), getegid());
    CHECK(same.ok());
  }
  CHECK(geteuid() == getuid());
  EffectiveIds other(geteuid() + 1, getegid());
  CHECK_FALSE(other.ok());
}

TEST_CASE("effective ids: files are created as the user, and root comes back", "[privilege][root]") {
  if (!buzon::privilege::running_as_root()) {
    WARN("not running as root: skipping the real id switch");
    return;
  }
  char tmpl[] = "/tmp/buzon-eids-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  REQUIRE(chmod(dir.c_str(), 0777) == 0);
  int rc = in_child([&] {
    const auto before = groups();
    {
      EffectiveIds as_user(54321, 54322);
      if (!as_user.ok()) return 10;
      if (geteuid() != 54321 || getegid() != 54322) return 11;
      if (groups() != std::vector<gid_t>{54322}) return 12;
      int fd = open((dir + "/f").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
      if (fd < 0) return 13;
      close(fd);
      // Root's rights are gone while acting: a root-only file is out of reach.
      if (open("/etc/shadow", O_RDONLY) >= 0) return 14;
    }
    if (geteuid() != 0 || getegid() != getgid()) return 15;
    if (groups() != before) return 16;
    return 0;
  });
  CHECK(rc == 0);
  struct stat st {};
  REQUIRE(stat((dir + "/f").c_str(), &st) == 0);
  CHECK(st.st_uid == 54321u);
  CHECK(st.st_gid == 54322u);
  unlink((dir + "/f").c_str());
  rmdir(dir.c_str());
}
