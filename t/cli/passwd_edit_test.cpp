#include <catch2/catch.hpp>

#include "cli/passwd_edit.h"

using namespace buzon::cli;

namespace {
const char* kFile =
    "# instance users\n"
    "alice:{SHA512-CRYPT}$6$a$b:1000:1000::/i/home/alice::\n"
    "\n"
    "bob:{PLAIN}x:1000:1000::/i/home/bob::\n";
}

TEST_CASE("passwd_edit: names", "[cli][user]") {
  CHECK(valid_user_name("carol"));
  CHECK(valid_user_name("c.d-e_f9"));
  CHECK(valid_user_name(std::string(64, 'a')));
  CHECK_FALSE(valid_user_name(std::string(65, 'a')));
  CHECK_FALSE(valid_user_name(""));
  CHECK_FALSE(valid_user_name(".hidden"));
  CHECK_FALSE(valid_user_name("-o"));
  CHECK_FALSE(valid_user_name("Carol"));
  CHECK_FALSE(valid_user_name("a/b"));
  CHECK_FALSE(valid_user_name("a:b"));
  // Users of virtual mailbox domains: the full address.
  CHECK(valid_user_name("carol@virt.example"));
  CHECK(valid_user_name("c.d-e_f9@a-b.c9"));
  CHECK(valid_user_name(std::string(64, 'a') + "@" + std::string(253, 'b')));
  CHECK_FALSE(valid_user_name(std::string(64, 'a') + "@" + std::string(254, 'b')));
  CHECK_FALSE(valid_user_name("carol@"));
  CHECK_FALSE(valid_user_name("@virt.example"));
  CHECK_FALSE(valid_user_name("carol@Virt.example"));
  CHECK_FALSE(valid_user_name("carol@virt..example"));
  CHECK_FALSE(valid_user_name("carol@.virt.example"));
  CHECK_FALSE(valid_user_name("carol@virt.example."));
  CHECK_FALSE(valid_user_name("carol@-virt.example"));
  CHECK_FALSE(valid_user_name("carol@virt@example"));
  CHECK_FALSE(valid_user_name("carol@virt/example"));
  CHECK_FALSE(valid_user_name("carol@virt:example"));
}

TEST_CASE("passwd_edit: list, add, set, del keep the other lines", "[cli][user]") {
  auto users = list_passwd_users(kFile);
  REQUIRE(users.size() == 2);
  CHECK(users[0].name == "alice");
  CHECK(users[0].scheme == "SHA512-CRYPT");
  CHECK(users[0].home == "/i/home/alice");
  CHECK(users[1].scheme == "PLAIN");

  auto added = passwd_add(kFile, "carol", "{ARGON2ID}$argon2id$x", 1000, 1001, "/i/home/carol");
  REQUIRE(added.ok());
  CHECK(*added == std::string(kFile) + "carol:{ARGON2ID}$argon2id$x:1000:1001::/i/home/carol::\n");
  CHECK_FALSE(passwd_add(kFile, "alice", "{PLAIN}y", 1, 1, "/h").ok());
  CHECK_FALSE(passwd_add(kFile, "../x", "{PLAIN}y", 1, 1, "/h").ok());
  // A file without a final newline still gets whole lines.
  CHECK(*passwd_add("a:{PLAIN}x:1:1::/h::", "b", "{PLAIN}y", 1, 1, "/g") == "a:{PLAIN}x:1:1::/h::\nb:{PLAIN}y:1:1::/g::\n");

  auto set = passwd_set(kFile, "bob", "{SHA256-CRYPT}$5$s$h");
  REQUIRE(set.ok());
  CHECK(set->find("bob:{SHA256-CRYPT}$5$s$h:1000:1000::/i/home/bob::\n") != std::string::npos);
  CHECK(set->find("{PLAIN}x") == std::string::npos);
  CHECK(set->find("# instance users\nalice:{SHA512-CRYPT}$6$a$b:1000:1000::/i/home/alice::\n\n") == 0);
  CHECK_FALSE(passwd_set(kFile, "mallory", "{PLAIN}y").ok());

  auto del = passwd_del(kFile, "alice");
  REQUIRE(del.ok());
  CHECK(*del == "# instance users\n\nbob:{PLAIN}x:1000:1000::/i/home/bob::\n");
  CHECK_FALSE(passwd_del(kFile, "mallory").ok());
  // A comment that looks like a user is not one.
  CHECK_FALSE(passwd_del("#alice:x\n", "#alice").ok());
}
