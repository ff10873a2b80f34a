#include <catch2/catch.hpp>

#include <fstream>

#include "authd/passdb.h"
#include "lib/config/config.h"
#include "lib/map/map.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::authd;

TEST_CASE("passdb: Dovecot passwd-file lines", "[authd][passdb]") {
  auto f = parse_passwd_file(
      "# comment\n"
      "alice:{SHA512-CRYPT}$6$salt$hash:1000:1000::/home/alice::\n"
      "bob:{PLAIN}secret:1001:1001::/home/bob::\r\n"
      "\n"
      "carol:{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
      "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=\n"
      "dave:{MD4}x:1:1::/::\n"
      "nocolon\n"
      "alice:{PLAIN}second-entry-ignored\n"
      ":{PLAIN}noname\n" +
          std::string("eve:{PLAIN}") + std::string(kPasswdLineMax, 'x') + "\n",
      "/etc/buzon/passwd");
  REQUIRE(f.entries.size() == 3);
  CHECK(f.entries.at("alice").scheme == password::Scheme::Sha512Crypt);
  CHECK(f.entries.at("alice").data == "$6$salt$hash");
  CHECK(f.entries.at("bob").data == "secret");
  CHECK(f.entries.at("carol").scheme == password::Scheme::ScramSha256);
  REQUIRE(f.warnings.size() == 4);
  CHECK(f.warnings[0] == "/etc/buzon/passwd:6: entry for dave skipped: unknown password scheme {MD4}");
  CHECK(f.warnings[1] == "/etc/buzon/passwd:7: malformed entry skipped: expected user:password");
  CHECK(f.warnings[2] == "/etc/buzon/passwd:9: malformed entry skipped: bad user name");
  CHECK(f.warnings[3].find("/etc/buzon/passwd:10: line longer than") == 0);
}

TEST_CASE("passdb: passwd-file lookups follow the file and report its secrets", "[authd][passdb]") {
  test::TempDir dir;
  std::string path = dir.path + "/passwd";
  auto hash = password::hash(password::Scheme::Sha256Crypt, "pw");
  REQUIRE(hash.ok());
  std::ofstream(path) << "alice:" << password::format(*hash) << ":1:1::/h::\n";
  auto db = passwd_file_passdb(path);
  auto a = db->lookup("alice");
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK(password::verify((*a)->password, "pw", false));
  auto none = db->lookup("mallory");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  CHECK_FALSE(db->lookup(std::string(kLoginMax + 1, 'a'))->has_value());
  CHECK_FALSE(db->secrets(true).clear_text);
  // A rewrite (here: longer, so the size changes) is seen without a restart.
  std::ofstream(path) << "alice:" << password::format(*hash) << ":1:1::/h::\nbob:{PLAIN}x:1:1::/h::\n";
  CHECK(db->lookup("bob")->has_value());
  CHECK(db->secrets(true).clear_text);
  CHECK(db->secrets(true).scram_sha256);
  CHECK_FALSE(db->secrets(false).clear_text);
  // An unreadable file is an error (temporary failure), not "no such user".
  std::remove(path.c_str());
  CHECK_FALSE(db->lookup("alice").ok());
}

TEST_CASE("passdb: system database uses the shadow snapshot", "[authd][passdb]") {
  auto hash = password::hash(password::Scheme::Sha512Crypt, "rootpw");
  REQUIRE(hash.ok());
  // root exists in every passwd database; its shadow entry is ours here.
  auto db = system_passdb("root:" + hash->data + ":19000:0:99999:7:::\nnobody:*:19000::::::\n");
  auto root = db->lookup("root");
  REQUIRE(root.ok());
  REQUIRE(root->has_value());
  CHECK(password::verify((*root)->password, "rootpw", false));
  auto nobody = db->lookup("nobody");  // locked: no password login
  REQUIRE(nobody.ok());
  CHECK_FALSE(nobody->has_value());
  CHECK_FALSE(db->lookup("no-such-user-here")->has_value());
  CHECK_FALSE(db->secrets(true).clear_text);
}

TEST_CASE("passdb: auth_passdb setting", "[authd][passdb]") {
  test::TempDir dir;
  std::ofstream(dir.path + "/main.cf") << "local_passwd_file = /x/passwd\n";
  auto cf = config::MainCf::load(dir.path);
  REQUIRE(cf.ok());
  auto dbs = passdbs_from(*cf, "");
  REQUIRE(dbs.ok());
  REQUIRE(dbs->size() == 1);
  CHECK((*dbs)[0]->name() == "passwd-file:/x/passwd");
  REQUIRE(cf->set("auth_passdb", "system, passwd-file:/y").ok());
  dbs = passdbs_from(*cf, "");
  REQUIRE(dbs.ok());
  CHECK((*dbs)[0]->name() == "system");
  CHECK((*dbs)[1]->name() == "passwd-file:/y");
  REQUIRE(cf->set("auth_passdb", "hash:/etc/buzon/passdb system").ok());
  dbs = passdbs_from(*cf, "");
  REQUIRE(dbs.ok());
  CHECK((*dbs)[0]->name() == "hash:/etc/buzon/passdb");
  REQUIRE(cf->set("auth_passdb", "hash:relative").ok());
  CHECK_FALSE(passdbs_from(*cf, "").ok());
  REQUIRE(cf->set("auth_passdb", "ldap:/z").ok());
  CHECK_FALSE(passdbs_from(*cf, "").ok());
  REQUIRE(cf->set("auth_passdb", "passwd-file:relative").ok());
  CHECK_FALSE(passdbs_from(*cf, "").ok());
}

TEST_CASE("passdb: hash: table built by buzon map", "[authd][passdb]") {
  test::TempDir dir;
  std::string path = dir.path + "/passdb";
  auto db = hash_passdb("hash:" + path);
  // No .db yet: a temporary failure, never "no such user".
  CHECK_FALSE(db->lookup("alice").ok());
  CHECK_FALSE(db->secrets(true).clear_text);

  auto hash = password::hash(password::Scheme::Sha512Crypt, "pw-alice");
  REQUIRE(hash.ok());
  std::ofstream(path) << "alice " << password::format(*hash) << ":1000:1000::/home/alice::\n"
                      << "Bob {SHA256-CRYPT}" << password::hash(password::Scheme::Sha256Crypt, "pw-bob")->data << "\n"
                      << "broken {MD4}x\n";
  const auto* type = map::find_type("hash");
  REQUIRE(type->build(path, map::Syntax::Map, false, nullptr).ok());  // buzon map -f: keep case
  auto a = db->lookup("alice");
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->user == "alice");
  CHECK(password::verify((*a)->password, "pw-alice", false));
  CHECK_FALSE(password::verify((*a)->password, "wrong", false));
  // Logins are exact, as in passwd-file.
  CHECK(db->lookup("Bob")->has_value());
  CHECK_FALSE(db->lookup("bob")->has_value());
  CHECK_FALSE(db->lookup("ALICE")->has_value());
  // A malformed entry is that user locked out, not an error for everyone.
  auto broken = db->lookup("broken");
  REQUIRE(broken.ok());
  CHECK_FALSE(broken->has_value());
  CHECK_FALSE(db->lookup("mallory")->has_value());
  CHECK_FALSE(db->lookup("a:b")->has_value());
  CHECK_FALSE(db->lookup(std::string(kLoginMax + 1, 'a'))->has_value());
  CHECK_FALSE(db->secrets(true).clear_text);
  CHECK_FALSE(db->secrets(true).scram_sha256);

  // A rebuild with a clear-text entry is seen by lookups and by secrets().
  std::ofstream(path, std::ios::app) << "carol {PLAIN}pw-carol\n";
  REQUIRE(type->build(path, map::Syntax::Map, false, nullptr).ok());
  CHECK(db->lookup("carol")->has_value());
  CHECK(db->secrets(true).clear_text);
  CHECK(db->secrets(true).scram_sha256);
  CHECK_FALSE(db->secrets(false).clear_text);
}

TEST_CASE("passdb: system database rereads a changed shadow file it may read", "[authd][passdb]") {
  test::TempDir dir;
  std::string shadow = dir.path + "/shadow";
  auto first = password::hash(password::Scheme::Sha512Crypt, "first");
  auto second = password::hash(password::Scheme::Sha512Crypt, "second-longer");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  std::string text = "root:" + first->data + ":19000:0:99999:7:::\n";
  std::ofstream(shadow) << text;
  auto db = system_passdb(text, shadow);
  CHECK(password::verify((*db->lookup("root"))->password, "first", false));
  // passwd(1) replaces the file: the new hash is used without a restart.
  std::ofstream(shadow) << "root:" << second->data << ":19001:0:99999:7:::\n";
  CHECK(password::verify((*db->lookup("root"))->password, "second-longer", false));
  // A file that cannot be read any more leaves the last copy in use.
  std::remove(shadow.c_str());
  CHECK(password::verify((*db->lookup("root"))->password, "second-longer", false));
}
