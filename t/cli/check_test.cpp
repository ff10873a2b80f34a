#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/check.h"
#include "cli/init.h"
#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;
using V = std::vector<std::string>;

namespace {

// An instance whose daemon_directory is t/libexec (empty at first).
std::string make_instance(const test::TempDir& t) {
  auto a = parse_init_args(V{t.path + "/inst", "--port-base", "20000", "--user", "alice:pw"});
  REQUIRE(a);
  auto p = plan_instance(*a, t.path + "/libexec");
  REQUIRE(p);
  REQUIRE(create_instance(*p));
  REQUIRE(file::make_dirs(t.path + "/libexec"));
  return p->dir;
}

void add_daemon(const test::TempDir& t, const std::string& name, mode_t mode = 0755) {
  std::string path = t.path + "/libexec/" + name;
  REQUIRE(file::write_atomic(path, "#!/bin/sh\nexit 0\n", mode));
}

void append(const std::string& path, const std::string& text) {
  auto old = file::read_file(path, 1 << 20);
  REQUIRE(old);
  REQUIRE(file::write_atomic(path, *old + text));
}

bool has(const V& errors, const std::string& needle) {
  for (const auto& e : errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("check: missing daemons are named with their master.cf line", "[check]") {
  test::TempDir t;
  std::string d = make_instance(t);
  auto r = check_config(d);
  REQUIRE(r.cf);
  CHECK(r.services.size() == 11);
  CHECK(r.errors.size() == 12);  // master + smtpd (25, 587, 465, submit) + qmgr + local + virtual + authd + anvil + pop3d (110, 995)
  CHECK(has(r.errors, "daemon_directory " + t.path + "/libexec: command master: "));
  CHECK(has(r.errors, d + "/master.cf:7: command smtpd: " + t.path + "/libexec/smtpd: No such file or directory"));
  CHECK(has(r.errors, "command qmgr:"));

  for (const char* n : {"master", "smtpd", "qmgr", "virtual", "authd", "anvil", "pop3d"}) add_daemon(t, n);
  add_daemon(t, "local", 0644);
  r = check_config(d);
  REQUIRE(r.errors.size() == 1);
  CHECK(has(r.errors, "command local: " + t.path + "/libexec/local is not an executable file"));

  add_daemon(t, "local");
  CHECK(check_config(d).errors.empty());
}

TEST_CASE("check: main.cf errors come with file:line", "[check]") {
  test::TempDir t;
  std::string d = make_instance(t);
  for (const char* n : {"master", "smtpd", "qmgr", "local", "virtual", "authd", "anvil", "pop3d"}) add_daemon(t, n);
  append(d + "/main.cf", "home_mailboxx = Maildir/\n");
  std::string text = file::read_file(d + "/main.cf", 1 << 20).value();
  auto r = check_config(d);
  REQUIRE(r.errors.size() == 1);
  CHECK_FALSE(r.cf);
  // The line number counts every line of the file, comments and empty ones too.
  size_t n = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  CHECK(r.errors[0].find(d + "/main.cf:" + std::to_string(n) + ":") == 0);
  CHECK(r.errors[0].find("home_mailboxx") != std::string::npos);
}

TEST_CASE("check: master.cf errors and bad command names", "[check]") {
  test::TempDir t;
  std::string d = make_instance(t);
  for (const char* n : {"master", "smtpd", "qmgr", "local", "virtual", "authd", "anvil", "pop3d"}) add_daemon(t, n);
  SECTION("a syntax error") {
    append(d + "/master.cf", "bogus inet n - n - - smtpd -o no_such_param=1\n");
    auto r = check_config(d);
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].find(d + "/master.cf:") == 0);
  }
  SECTION("a command is a name, not a path") {
    append(d + "/master.cf", "127.0.0.1:20026 inet n - n - - ../../bin/sh\n");
    auto r = check_config(d);
    CHECK(has(r.errors, "bad command name: ../../bin/sh"));
  }
}

TEST_CASE("check: queue_directory exists or can be created", "[check]") {
  test::TempDir t;
  std::string d = make_instance(t);
  for (const char* n : {"master", "smtpd", "qmgr", "local", "virtual", "authd", "anvil", "pop3d"}) add_daemon(t, n);
  SECTION("missing, but its parent is writable") {
    append(d + "/main.cf", "queue_directory = " + t.path + "/new/queue\n");
    CHECK(check_config(d).errors.empty());
    CHECK(::access((t.path + "/new").c_str(), F_OK) != 0);  // check creates nothing
  }
  SECTION("under a regular file") {
    REQUIRE(file::write_atomic(t.path + "/file", "x"));
    append(d + "/main.cf", "queue_directory = " + t.path + "/file/queue\n");
    auto r = check_config(d);
    REQUIRE(r.errors.size() == 1);
    CHECK(has(r.errors, t.path + "/file is not a directory"));
  }
  SECTION("relative") {
    append(d + "/main.cf", "queue_directory = queue\n");
    CHECK(has(check_config(d).errors, "queue_directory must be an absolute path"));
  }
}

TEST_CASE("check: a missing main.cf", "[check]") {
  test::TempDir t;
  auto r = check_config(t.path);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("main.cf") != std::string::npos);
}

TEST_CASE("check: as root, mail_owner must be an unprivileged account", "[check]") {
  if (::geteuid() != 0) return;  // the rule applies to system mode only
  test::TempDir t;
  std::string d = make_instance(t);
  for (const char* n : {"master", "smtpd", "qmgr", "local", "virtual", "authd", "anvil", "pop3d"}) add_daemon(t, n);
  CHECK(check_config(d).errors.empty());  // root's instances run as nobody
  append(d + "/main.cf", "mail_owner = root\n");
  CHECK(check_config(d).errors == V{"mail_owner must not be a privileged account: root"});
  append(d + "/main.cf", "mail_owner = no-such-account-here\n");
  CHECK(check_config(d).errors == V{"mail_owner no-such-account-here: no such account"});
}
