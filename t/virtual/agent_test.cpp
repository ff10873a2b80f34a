#include "virtual/agent.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "t/local/deliver_env.h"

using namespace buzon;
using namespace buzon::test;

namespace {

// A virtual mailbox setup on top of the local test environment: a
// mailbox base owned by the delivery user, a texthash: mailbox table and
// static: uid/gid maps naming that user.
struct VEnv {
  Env e;
  std::string base;
  explicit VEnv(const std::string& extra = "") : e(extra) {}
  vdeliver::Agent agent(const std::string& table) {
    base = e.d.path + "/vmail";
    if (!exists(base)) {
      REQUIRE(::mkdir(base.c_str(), 0755) == 0);
      REQUIRE(::mkdir((base + "/virt.example").c_str(), 0755) == 0);
      if (root()) {
        REQUIRE(::chown(base.c_str(), user_uid(), user_gid()) == 0);
        REQUIRE(::chown((base + "/virt.example").c_str(), user_uid(), user_gid()) == 0);
      }
    }
    spew(e.d.path + "/vmailbox", table);
    auto s = vdeliver::Settings::from(e.cf);
    if (!s) FAIL(s.error().message);
    s->mailbox_base = base;
    s->mailbox_maps = {"texthash:" + e.d.path + "/vmailbox"};
    if (s->uid_maps.empty()) s->uid_maps = {"static:" + std::to_string(user_uid())};
    if (s->gid_maps.empty()) s->gid_maps = {"static:" + std::to_string(user_gid())};
    return vdeliver::Agent(*s);
  }
};

const char* kTable =
    "bob@virt.example virt.example/bob/\n"
    "carol@virt.example virt.example/carol\n"
    "abs@virt.example /etc/passwd\n"
    "up@virt.example ../escape/\n"
    "link@virt.example virt.example/link/\n";

}  // namespace

TEST_CASE("virtual: Maildir created on first delivery, owned by the uid map's user", "[virtual]") {
  VEnv v("virtual_minimum_uid = 1\n");
  auto a = v.agent(kTable);
  auto q = queue_message(v.e.d.queue(), "alice@example.test", {"Bob@Virt.Example"}, "Subject: t\n\nhello\n");
  auto r = a.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  REQUIRE(r.status == 0);
  CHECK(r.reason == "delivered to maildir");
  auto files = list_dir(v.base + "/virt.example/bob/new");
  REQUIRE(files.size() == 1);
  std::string path = v.base + "/virt.example/bob/new/" + files[0];
  CHECK(slurp(path) == "Return-Path: <alice@example.test>\nDelivered-To: Bob@Virt.Example\nSubject: t\n\nhello\n");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_uid == user_uid());
  CHECK(exists(v.base + "/virt.example/bob/cur"));
  CHECK(exists(v.base + "/virt.example/bob/tmp"));
}

TEST_CASE("virtual: mbox file for a result without a trailing slash", "[virtual]") {
  VEnv v("virtual_minimum_uid = 1\n");
  auto a = v.agent(kTable);
  auto q = queue_message(v.e.d.queue(), "alice@example.test", {"carol@virt.example"}, "Subject: t\n\nFrom here\n");
  auto r = a.deliver(request_for(q));
  INFO(r.reason << " / " << r.warning);
  REQUIRE(r.status == 0);
  CHECK(r.reason == "delivered to mailbox");
  std::string text = slurp(v.base + "/virt.example/carol");
  CHECK(text.rfind("From alice@example.test ", 0) == 0);
  CHECK(text.find("\nReturn-Path: <alice@example.test>\nDelivered-To: carol@virt.example\nSubject: t\n\n>From here\n\n") !=
        std::string::npos);
}

TEST_CASE("virtual: unknown users bounce 5.1.1", "[virtual]") {
  VEnv v("virtual_minimum_uid = 1\n");
  auto a = v.agent(kTable);
  auto q = queue_message(v.e.d.queue(), "alice@example.test", {"nobody@virt.example"}, "Subject: t\n\nx\n");
  auto r = a.deliver(request_for(q));
  CHECK(r.status == 5);
  CHECK(r.dsn == "5.1.1");
  CHECK(r.reason == "User unknown in virtual mailbox table");
}

TEST_CASE("virtual: paths leaving the base and symbolic links defer", "[virtual]") {
  VEnv v("virtual_minimum_uid = 1\n");
  auto a = v.agent(kTable);
  for (const char* rcpt : {"abs@virt.example", "up@virt.example"}) {
    auto q = queue_message(v.e.d.queue(), "alice@example.test", {rcpt}, "Subject: t\n\nx\n");
    auto r = a.deliver(request_for(q));
    INFO(rcpt);
    CHECK(r.status == 4);
    CHECK(r.dsn == "4.3.5");
    CHECK(r.warning.find("bad virtual_mailbox_maps result") != std::string::npos);
  }
  TempDir elsewhere;
  REQUIRE(::symlink(elsewhere.path.c_str(), (v.base + "/virt.example/link").c_str()) == 0);
  auto q = queue_message(v.e.d.queue(), "alice@example.test", {"link@virt.example"}, "Subject: t\n\nx\n");
  auto r = a.deliver(request_for(q));
  CHECK(r.status == 4);
  CHECK(r.warning.find("symbolic link") != std::string::npos);
  CHECK_FALSE(exists(elsewhere.path + "/new"));
}

TEST_CASE("virtual: a uid under virtual_minimum_uid or without a map entry defers", "[virtual]") {
  VEnv v("virtual_minimum_uid = 70000\n");
  auto a = v.agent(kTable);
  auto q = queue_message(v.e.d.queue(), "alice@example.test", {"bob@virt.example"}, "Subject: t\n\nx\n");
  auto r = a.deliver(request_for(q));
  CHECK(r.status == 4);
  CHECK(r.dsn == "4.3.5");
  CHECK(r.warning == "recipient bob@virt.example: bad uid " + std::to_string(user_uid()) +
                         " in virtual_uid_maps (below virtual_minimum_uid 70000)");
  CHECK_FALSE(exists(v.base + "/virt.example/bob"));

  VEnv w("virtual_minimum_uid = 1\nvirtual_uid_maps = texthash:$queue_directory/../nouids\n");
  spew(w.e.d.path + "/nouids", "someone@else.example 5000\n");
  auto b = w.agent(kTable);
  auto q2 = queue_message(w.e.d.queue(), "alice@example.test", {"bob@virt.example"}, "Subject: t\n\nx\n");
  auto r2 = b.deliver(request_for(q2));
  CHECK(r2.status == 4);
  CHECK(r2.warning == "recipient bob@virt.example: no entry in virtual_uid_maps");
}

TEST_CASE("virtual: virtual_mailbox_limit bounces 5.2.2 mailbox full", "[virtual]") {
  VEnv v("virtual_minimum_uid = 1\nmessage_size_limit = 300\nvirtual_mailbox_limit = 300\n");
  auto a = v.agent(kTable);
  auto small = queue_message(v.e.d.queue(), "alice@example.test", {"bob@virt.example", "carol@virt.example"},
                             "Subject: t\n\nhello\n");
  for (size_t i = 0; i < 2; ++i) REQUIRE(a.deliver(request_for(small, i)).status == 0);
  auto big = queue_message(v.e.d.queue(), "alice@example.test", {"bob@virt.example", "carol@virt.example"},
                           "Subject: t\n\n" + std::string(250, 'x') + "\n");
  for (size_t i = 0; i < 2; ++i) {
    auto r = a.deliver(request_for(big, i));
    INFO(i);
    CHECK(r.status == 5);
    CHECK(r.dsn == "5.2.2");
    CHECK(r.reason == "mailbox full");
  }
  CHECK(list_dir(v.base + "/virt.example/bob/new").size() == 1);
  CHECK(slurp(v.base + "/virt.example/carol").find("xxxx") == std::string::npos);
}

TEST_CASE("virtual: virtual_mailbox_limit under message_size_limit is a config error", "[virtual]") {
  Env e("virtual_mailbox_limit = 1000\nmessage_size_limit = 2000\n");
  auto s = vdeliver::Settings::from(e.cf);
  REQUIRE_FALSE(s);
  CHECK(s.error().message == "main.cf configuration error: virtual_mailbox_limit is smaller than message_size_limit");
  Env ok("virtual_mailbox_limit = 0\nmessage_size_limit = 2000\n");
  CHECK(vdeliver::Settings::from(ok.cf));
  Env lock("virtual_mailbox_lock = fcntl, bogus\n");
  CHECK_FALSE(vdeliver::Settings::from(lock.cf));
}
