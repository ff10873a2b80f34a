#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/init.h"
#include "cli/password.h"
#include "lib/config/config.h"
#include "lib/file/file.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "lib/users/users.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;
using V = std::vector<std::string>;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

InstancePlan plan_for(const std::string& dir, V extra = {}) {
  V args = {dir, "--domain", "example.test", "--port-base", "20000", "--user", "alice:alice-pw", "--user", "bob"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto a = parse_init_args(args);
  REQUIRE(a);
  auto p = plan_instance(*a, "/opt/buzon/libexec");
  REQUIRE(p);
  return std::move(*p);
}

// The account an instance made by this test process runs as.
std::string expected_owner() {
  if (::getuid() == 0) return "nobody";
  return ::getpwuid(::getuid())->pw_name;
}

}  // namespace

TEST_CASE("init: the plan", "[init]") {
  test::TempDir t;
  auto p = plan_for(t.path + "/inst/");
  CHECK(p.dir == t.path + "/inst");
  CHECK(p.domain == "example.test");
  CHECK(p.daemon_dir == "/opt/buzon/libexec");
  CHECK(p.owner == expected_owner());
  CHECK(p.uid == ::getpwnam(p.owner.c_str())->pw_uid);
  CHECK(p.chown_to_owner == (::getuid() == 0));
  REQUIRE(p.users.size() == 2);
  CHECK(p.users[0].password == "alice-pw");
  CHECK_FALSE(p.users[0].generated);
  CHECK(p.users[1].generated);
  CHECK(p.users[1].password.size() == 12);
  CHECK(crypt_matches("alice-pw", p.users[0].hash));
  CHECK_FALSE(crypt_matches("wrong", p.users[0].hash));
  CHECK(crypt_matches(p.users[1].password, p.users[1].hash));
}

TEST_CASE("init: relative directories become absolute", "[init]") {
  auto a = parse_init_args(V{"rel/inst"});
  REQUIRE(a);
  auto p = plan_instance(*a, "/x");
  REQUIRE(p);
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof cwd));
  CHECK(p->dir == std::string(cwd) + "/rel/inst");
}

TEST_CASE("init: an owner other than oneself needs root; root is refused", "[init]") {
  auto a = parse_init_args(V{"/tmp/x", "--owner", "root"});
  REQUIRE(a);
  auto p = plan_instance(*a, "/x");
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("cannot run as root") != std::string::npos);
  auto unknown = parse_init_args(V{"/tmp/x", "--owner", "no-such-account-here"});
  REQUIRE(unknown);
  CHECK(plan_instance(*unknown, "/x").error().message.find("no such account") != std::string::npos);
}

TEST_CASE("init: the files parse back with lib/config and lib/users", "[init]") {
  test::TempDir t;
  auto p = plan_for(t.path + "/inst");
  REQUIRE(create_instance(p));
  const std::string& d = p.dir;

  auto cf = config::MainCf::load(d);
  INFO(file::read_file(d + "/main.cf", 1 << 20).value());
  REQUIRE(cf);
  CHECK(cf->get("queue_directory") == d + "/queue");
  CHECK(cf->get("daemon_directory") == "/opt/buzon/libexec");
  CHECK(cf->get("mail_owner") == expected_owner());
  CHECK(cf->get("myhostname") == "mail.example.test");
  CHECK(cf->get("mydomain") == "example.test");
  CHECK(cf->get("myorigin") == "example.test");
  CHECK(cf->get_list("mydestination") == V{"mail.example.test", "localhost.example.test", "localhost", "example.test"});
  CHECK(cf->get("mail_spool_directory") == d + "/mail");
  CHECK(cf->get("local_passwd_file") == d + "/passwd");
  CHECK(cf->get("maillog_file") == d + "/log/maillog");
  CHECK(cf->get_list("inet_interfaces") == V{"127.0.0.1"});
  CHECK(cf->get_time("service_throttle_time") == std::chrono::seconds(5));

  auto services = config::load_master_cf(d, *cf);
  REQUIRE(services);
  REQUIRE(services->size() == 11);
  const auto& smtp = (*services)[0];
  CHECK(smtp.name == "127.0.0.1:20025");
  CHECK(smtp.type == "inet");
  CHECK_FALSE(smtp.is_private);
  CHECK(smtp.unprivileged);
  CHECK_FALSE(smtp.chroot);
  CHECK(smtp.command == "smtpd");
  // STARTTLS on 25 with the certificate init made; Postfix's submission
  // (587) and smtps (465) services with TLS and AUTH.
  CHECK(cf->get("smtpd_tls_security_level") == "may");
  CHECK(cf->get("smtpd_tls_cert_file") == d + "/tls/cert.pem");
  CHECK(cf->get("smtpd_tls_key_file") == d + "/tls/key.pem");
  CHECK(file::read_file(d + "/tls/cert.pem", 1 << 16)->find("BEGIN CERTIFICATE") != std::string::npos);
  using O = std::vector<std::pair<std::string, std::string>>;
  const O mua{{"smtpd_sasl_auth_enable", "yes"},
              {"smtpd_reject_unlisted_recipient", "no"},
              {"smtpd_client_restrictions", "$mua_client_restrictions"},
              {"smtpd_helo_restrictions", "$mua_helo_restrictions"},
              {"smtpd_sender_restrictions", "$mua_sender_restrictions"},
              {"smtpd_recipient_restrictions", ""},
              {"smtpd_relay_restrictions", "permit_sasl_authenticated,reject"}};
  const auto& submission = (*services)[1];
  CHECK(submission.name == "127.0.0.1:20587");
  CHECK(submission.command == "smtpd");
  O want{{"syslog_name", "buzon/submission"}, {"smtpd_tls_security_level", "encrypt"}, {"smtpd_tls_auth_only", "yes"}};
  want.insert(want.end(), mua.begin(), mua.end());
  CHECK(submission.overrides == want);
  const auto& smtps = (*services)[2];
  CHECK(smtps.name == "127.0.0.1:20465");
  want = {{"syslog_name", "buzon/smtps"}, {"smtpd_tls_wrappermode", "yes"}};
  want.insert(want.end(), mua.begin(), mua.end());
  CHECK(smtps.overrides == want);
  const auto& submit = (*services)[3];
  CHECK(submit.name == "submit");
  CHECK(submit.type == "unix");
  CHECK_FALSE(submit.is_private);  // listens in public/
  CHECK(submit.command == "smtpd");
  const auto& qmgr = (*services)[4];
  CHECK(qmgr.name == "qmgr");
  CHECK_FALSE(qmgr.is_private);
  CHECK(qmgr.wakeup == 300);
  CHECK(qmgr.maxproc == 1);
  const auto& auth = (*services)[7];
  CHECK(auth.name == "auth");
  CHECK(auth.is_private);  // private/auth: never reachable by others
  CHECK(auth.maxproc == 1);  // one ban table
  CHECK(auth.command == "authd");
  const auto& anvil = (*services)[8];
  CHECK(anvil.name == "anvil");
  CHECK(anvil.is_private);
  CHECK(anvil.maxproc == 1);  // one table for every smtpd
  CHECK(anvil.command == "anvil");
  const auto& local = (*services)[5];
  CHECK(local.name == "local");
  CHECK(local.is_private);
  CHECK_FALSE(local.unprivileged);  // setuid per recipient
  CHECK(local.command == "local");
  // POP3 with STLS and pop3s, with init's certificate in Dovecot's syntax.
  CHECK(cf->get("ssl_cert") == "<" + d + "/tls/cert.pem");
  CHECK(cf->get("ssl_key") == "<" + d + "/tls/key.pem");
  const auto& virt = (*services)[6];
  CHECK(virt.name == "virtual");
  CHECK(virt.is_private);
  CHECK_FALSE(virt.unprivileged);  // mailbox owner's ids per recipient
  CHECK(virt.command == "virtual");
  const auto& pop3 = (*services)[9];
  CHECK(pop3.name == "127.0.0.1:20110");
  CHECK(pop3.command == "pop3d");
  CHECK(pop3.unprivileged);
  CHECK(pop3.overrides.empty());
  const auto& pop3s = (*services)[10];
  CHECK(pop3s.name == "127.0.0.1:20995");
  CHECK(pop3s.command == "pop3d");
  want = {{"syslog_name", "buzon/pop3s"}, {"pop3d_tls_wrappermode", "yes"}};
  CHECK(pop3s.overrides == want);

  // passwd-file lines as lib/users reads them.
  auto alice = users::find(*cf, "alice");
  REQUIRE(alice);
  REQUIRE(alice->has_value());
  CHECK((*alice)->home == d + "/home/alice");
  CHECK((*alice)->uid == p.uid);
  CHECK((*alice)->gid == p.gid);
  auto text = file::read_file(d + "/passwd", 1 << 20);
  REQUIRE(text);
  auto lines = str::split(*text, "\n");
  REQUIRE(lines.size() == 2);
  auto f = std::vector<std::string>();
  {
    std::string line = lines[1];
    size_t start = 0;
    for (;;) {
      size_t c = line.find(':', start);
      f.push_back(line.substr(start, c == std::string::npos ? std::string::npos : c - start));
      if (c == std::string::npos) break;
      start = c + 1;
    }
  }
  REQUIRE(f.size() == 8);
  CHECK(f[0] == "bob");
  REQUIRE(f[1].rfind("{SHA512-CRYPT}$6$", 0) == 0);
  CHECK(crypt_matches(p.users[1].password, f[1].substr(14)));
  CHECK(f[2] == std::to_string(p.uid));
  CHECK(f[5] == d + "/home/bob");

  auto aliases = file::read_file(d + "/aliases", 1 << 20);
  REQUIRE(aliases);
  CHECK(aliases->find("\npostmaster: alice\n") != std::string::npos);

  // The layout of doc/internals.md, with its modes.
  for (const char* sub : queue::kDirs) {
    std::string path = d + "/queue/" + sub;
    INFO(path);
    CHECK(mode_of(path) == (std::string(sub) == "public" ? 0755u : 0700u));
  }
  CHECK(mode_of(d + "/passwd") == 0600);
  CHECK(mode_of(d + "/mail") == 0700);
  CHECK(mode_of(d + "/home/alice") == 0700);
  CHECK(mode_of(d + "/home/bob") == 0700);
  CHECK(mode_of(d + "/log/maillog") == 0644);
  struct stat st;
  REQUIRE(::stat((d + "/home/bob").c_str(), &st) == 0);
  CHECK(st.st_uid == p.uid);
  REQUIRE(::stat((d + "/passwd").c_str(), &st) == 0);
  CHECK(st.st_uid == p.uid);
}

TEST_CASE("init: refuses a non-empty directory, takes an empty one", "[init]") {
  test::TempDir t;
  std::string d = t.path + "/inst";
  REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  {
    std::ofstream(d + "/precious") << "keep me";
  }
  auto p = plan_for(d);
  auto s = create_instance(p);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("not empty") != std::string::npos);
  CHECK(file::read_file(d + "/precious", 100).value() == "keep me");

  REQUIRE(::unlink((d + "/precious").c_str()) == 0);
  CHECK(create_instance(p));
  CHECK_FALSE(create_instance(p));  // now it has an instance in it
}

TEST_CASE("init: root's instance must be reachable by the account it runs as", "[init]") {
  if (::getuid() != 0) {
    WARN("not root: an instance runs as its maker, who can always reach it");
    return;
  }
  test::TempDir t;
  REQUIRE(::chmod(t.path.c_str(), 0700) == 0);  // like /root
  auto p = plan_for(t.path + "/deeper/inst");
  auto s = create_instance(p);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("runs as nobody, which cannot enter " + t.path + " (mode 0700)") != std::string::npos);
  CHECK(::access((t.path + "/deeper").c_str(), F_OK) != 0);  // nothing made
  REQUIRE(::chmod(t.path.c_str(), 0711) == 0);  // search is enough
  CHECK(create_instance(p));
}

TEST_CASE("init: a failure part-way removes what it made", "[init]") {
  test::TempDir t;
  auto p = plan_for(t.path + "/inst");
  p.users.push_back(p.users[0]);  // home/alice twice: the second mkdir fails
  auto s = create_instance(p);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("home/alice") != std::string::npos);
  CHECK(::access(p.dir.c_str(), F_OK) != 0);
}

TEST_CASE("init: the summary names ports, users and next steps", "[init]") {
  test::TempDir t;
  auto p = plan_for(t.path + "/inst");
  std::string s = instance_summary(p, "/b/buzon", "/b/sendmail");
  CHECK(s.find("127.0.0.1:20025") != std::string::npos);
  CHECK(s.find("alice@example.test  password: (as given)") != std::string::npos);
  CHECK(s.find("bob@example.test    password: " + p.users[1].password) != std::string::npos);
  CHECK(s.find("/b/buzon -c " + p.dir + " start\n") != std::string::npos);
  CHECK(s.find("swaks --server 127.0.0.1:20025 --from bob@example.test --to alice@example.test") !=
        std::string::npos);
  CHECK(s.find("/b/sendmail -C " + p.dir + " alice") != std::string::npos);
  CHECK(s.find("pop3        127.0.0.1:20110 (STLS), pop3s 127.0.0.1:20995 (TLS)") != std::string::npos);
}

TEST_CASE("init: daemon directory from the build tree or the installed one", "[init]") {
  test::TempDir t;
  CHECK(daemon_dir_for(t.path) == BUZON_DAEMON_DIR);
  CHECK(daemon_dir_for("") == BUZON_DAEMON_DIR);
  REQUIRE(file::make_dirs(t.path + "/libexec"));
  REQUIRE(file::write_atomic(t.path + "/libexec/master", "#!/bin/sh\n", 0644));
  CHECK(daemon_dir_for(t.path) == BUZON_DAEMON_DIR);  // not executable
  REQUIRE(::chmod((t.path + "/libexec/master").c_str(), 0755) == 0);
  CHECK(daemon_dir_for(t.path) == t.path + "/libexec");
  CHECK_FALSE(exe_dir().empty());
}

TEST_CASE("init: random passwords and SHA512-CRYPT hashes", "[init][password]") {
  auto a = random_password();
  auto b = random_password();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->size() == 12);
  CHECK(*a != *b);
  for (char c : *a) CHECK(std::isalnum(static_cast<unsigned char>(c)));
  CHECK(random_string(40, "z").value() == std::string(40, 'z'));
  CHECK(random_string(0, "ab").value().empty());
  CHECK_FALSE(random_string(3, ""));
  CHECK_FALSE(random_string(3, std::string(257, 'x')));
  auto h1 = sha512_crypt("pw");
  auto h2 = sha512_crypt("pw");
  REQUIRE(h1);
  REQUIRE(h2);
  CHECK(h1->rfind("$6$", 0) == 0);
  CHECK(h1->size() == 3 + 16 + 1 + 86);  // "$6$" salt "$" hash (crypt(5))
  CHECK(*h1 != *h2);                      // random salts
  CHECK(crypt_matches("pw", *h1));
  CHECK(crypt_matches("pw", *h2));
}
