// lib/privilege: the drops are tested in forked children (a drop cannot be
// undone); the child reports what it saw through its exit status, because
// Catch2 assertions cannot cross fork().
#include <catch2/catch.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "lib/privilege/privilege.h"

using namespace buzon;

namespace {

// Runs fn in a child process; returns its exit code, or 1000 + signal.
int in_child(const std::function<int()>& fn) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) _exit(fn());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1000 + WTERMSIG(status);
}

struct Ids {
  uid_t uid;
  gid_t gid;
};

Ids ids_of(const char* user) {
  passwd* pw = getpwnam(user);
  REQUIRE(pw != nullptr);
  return {pw->pw_uid, pw->pw_gid};
}

std::vector<gid_t> groups() {
  int n = getgroups(0, nullptr);
  std::vector<gid_t> g(n > 0 ? n : 0);
  if (n > 0) getgroups(n, g.data());
  return g;
}

}  // namespace

TEST_CASE("privilege: running_as_root follows the effective uid", "[privilege]") {
  CHECK(privilege::running_as_root() == (geteuid() == 0));
}

TEST_CASE("privilege: root, unknown and empty users are refused", "[privilege]") {
  // Refusals happen before any id changes, so they are safe in-process.
  auto r = privilege::drop_to("root");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("root") != std::string::npos);
  CHECK_FALSE(privilege::drop_to_ids(0, 0, "toor"));
  auto u = privilege::drop_to("no-such-user-buzon-test");
  REQUIRE_FALSE(u);
  CHECK(u.error().message == "unknown user: no-such-user-buzon-test");
  CHECK_FALSE(privilege::drop_to(""));
}

TEST_CASE("privilege: chroot_to needs an absolute path", "[privilege]") {
  auto r = privilege::chroot_to("relative/dir");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("not an absolute path") != std::string::npos);
}

TEST_CASE("privilege: drop_to(nobody) as root cannot regain root", "[privilege][root]") {
  if (!privilege::running_as_root()) {
    WARN("not running as root: skipping the real privilege drop");
    return;
  }
  Ids nobody = ids_of("nobody");
  int rc = in_child([&] {
    if (!privilege::drop_to("nobody")) return 10;
    if (getuid() != nobody.uid || geteuid() != nobody.uid) return 11;
    if (getgid() != nobody.gid || getegid() != nobody.gid) return 12;
    if (setuid(0) == 0 || seteuid(0) == 0) return 13;
    if (setgid(0) == 0) return 14;
    for (gid_t g : groups())
      if (g == 0) return 15;  // root's supplementary group must be gone
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("privilege: drop_to_ids without a name keeps only the given group", "[privilege][root]") {
  if (!privilege::running_as_root()) {
    WARN("not running as root: skipping the real privilege drop");
    return;
  }
  int rc = in_child([] {
    // Arbitrary ids with no passwd entry, as for a virtual mailbox owner.
    if (!privilege::drop_to_ids(54321, 54322, "")) return 10;
    if (getuid() != 54321 || getgid() != 54322) return 11;
    auto g = groups();
    if (g.size() != 1 || g[0] != 54322) return 12;
    if (setuid(0) == 0) return 13;
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("privilege: without root, drop_to succeeds only for the current user", "[privilege]") {
  // As root, first become nobody to get an unprivileged process; otherwise
  // the test process is already one.
  int rc = in_child([] {
    if (privilege::running_as_root() && !privilege::drop_to("nobody")) return 10;
    passwd* me = getpwuid(getuid());
    if (!me) return 11;
    std::string name = me->pw_name;
    if (!privilege::drop_to(name)) return 12;                  // already that user: no-op
    if (!privilege::drop_to_ids(getuid(), getgid(), name)) return 13;
    passwd* d = getpwnam("daemon");
    std::string other = (d && d->pw_uid != getuid()) ? "daemon" : "nobody";
    auto r = privilege::drop_to(other);
    if (r) return 14;
    if (r.error().message.find("not running as root") == std::string::npos) return 15;
    if (privilege::chroot_to("/")) return 16;                  // chroot(2) needs root
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("privilege: chroot_to jails the process and moves to its root", "[privilege][root]") {
  if (!privilege::running_as_root()) {
    WARN("not running as root: skipping chroot");
    return;
  }
  char tmpl[] = "/tmp/buzon-priv-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  REQUIRE(mkdir((dir + "/inside").c_str(), 0700) == 0);
  int rc = in_child([&] {
    if (!privilege::chroot_to(dir)) return 10;
    char cwd[64];
    if (!getcwd(cwd, sizeof cwd) || std::string(cwd) != "/") return 11;
    struct stat st{};
    if (stat("/inside", &st) != 0 || !S_ISDIR(st.st_mode)) return 12;
    if (stat("/etc/passwd", &st) == 0) return 13;  // the outside is gone
    return 0;
  });
  CHECK(rc == 0);
  rmdir((dir + "/inside").c_str());
  rmdir(dir.c_str());
}

TEST_CASE("privilege: chroot_to a missing directory fails", "[privilege][root]") {
  if (!privilege::running_as_root()) {
    WARN("not running as root: skipping chroot");
    return;
  }
  int rc = in_child([] {
    auto r = privilege::chroot_to("/nonexistent-buzon-dir");
    return r ? 1 : (r.error().sys_errno == ENOENT ? 0 : 2);
  });
  CHECK(rc == 0);
}
