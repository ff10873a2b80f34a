#include "lib/virtual/mailbox.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::virt;
using Strings = std::vector<std::string>;

namespace {

using test::TempDir;

// A texthash: table of text in the directory.
std::string table(const TempDir& d, const std::string& name, const std::string& text) {
  return "texthash:" + d.write(name, text);
}

}  // namespace

TEST_CASE("mailbox_keys: extension, address, then the @domain catch-all", "[virtual][mailbox]") {
  CHECK(mailbox_keys("Bob+Lists@Virt.Example", "+") ==
        Strings{"bob+lists@virt.example", "bob@virt.example", "@virt.example"});
  CHECK(mailbox_keys("bob@virt.example", "+") == Strings{"bob@virt.example", "@virt.example"});
  CHECK(mailbox_keys("bob+x@virt.example", "") == Strings{"bob+x@virt.example", "@virt.example"});
  // A delimiter first is no extension.
  CHECK(mailbox_keys("+x@virt.example", "+") == Strings{"+x@virt.example", "@virt.example"});
  CHECK(mailbox_keys("a-b+c@d.example", "+-") == Strings{"a-b+c@d.example", "a@d.example", "@d.example"});
}

TEST_CASE("mailbox_path: below the base; trailing slash means Maildir", "[virtual][mailbox]") {
  auto m = mailbox_path("/var/vmail/", "virt.example/bob/");
  REQUIRE(m);
  CHECK(m->path == "/var/vmail/virt.example/bob/");
  CHECK(m->maildir);
  auto f = mailbox_path("/var/vmail", "virt.example/carol");
  REQUIRE(f);
  CHECK(f->path == "/var/vmail/virt.example/carol");
  CHECK_FALSE(f->maildir);
  CHECK_FALSE(mailbox_path("/var/vmail", "/etc/passwd"));
  CHECK_FALSE(mailbox_path("/var/vmail", "../etc/passwd"));
  CHECK_FALSE(mailbox_path("/var/vmail", "a/../../b/"));
  CHECK_FALSE(mailbox_path("/var/vmail", "a/.."));
  CHECK_FALSE(mailbox_path("/var/vmail", ""));
  CHECK_FALSE(mailbox_path("/var/vmail", std::string("a\nb")));
  CHECK_FALSE(mailbox_path("", "a/"));          // no base
  CHECK_FALSE(mailbox_path("relative", "a/"));  // relative base
  CHECK(mailbox_path("/v", "a..b/"));           // ".." only as a whole component
}

TEST_CASE("numeric_id: decimal digits in range only", "[virtual][mailbox]") {
  CHECK(*numeric_id("5000") == 5000);
  CHECK(*numeric_id(" 100 ") == 100);
  CHECK(*numeric_id("0") == 0);
  CHECK(*numeric_id("4294967294") == 4294967294UL);
  CHECK_FALSE(numeric_id("4294967295"));
  CHECK_FALSE(numeric_id("99999999999"));
  CHECK_FALSE(numeric_id("-1"));
  CHECK_FALSE(numeric_id("12ab"));
  CHECK_FALSE(numeric_id(""));
  CHECK_FALSE(numeric_id("vmail"));
}

TEST_CASE("MailboxTables: Postfix search order across tables, catch-all last", "[virtual][mailbox]") {
  TempDir d;
  auto first = table(d, "first", "bob@virt.example virt.example/bob/\n@catch.example catch.example/all\n");
  auto second = table(d, "second", "bob+lists@virt.example virt.example/lists/\n@virt.example virt.example/other/\n");
  auto uids = table(d, "uids", "bob@virt.example 5001\n@virt.example 5000\n");
  MailboxTables t({first, second}, {uids}, {"static:6000"}, "+");
  // user+ext@domain first (in every table), before user@domain.
  CHECK(**t.mailbox("Bob+Lists@virt.example") == "virt.example/lists/");
  CHECK(**t.mailbox("bob+other@virt.example") == "virt.example/bob/");
  CHECK(**t.mailbox("bob@virt.example") == "virt.example/bob/");
  // user@domain in the second table beats @domain in the first; @domain last.
  CHECK(**t.mailbox("carol@virt.example") == "virt.example/other/");
  CHECK(**t.mailbox("anyone@catch.example") == "catch.example/all");
  CHECK_FALSE(*t.mailbox("bob@elsewhere.example"));
  CHECK(**t.uid("bob@virt.example") == "5001");
  CHECK(**t.uid("carol@virt.example") == "5000");
  CHECK(**t.gid("carol@virt.example") == "6000");
  MailboxTables broken({"texthash:" + d.path + "/missing"}, {}, {}, "+");
  CHECK_FALSE(broken.mailbox("bob@virt.example"));
}

TEST_CASE("no_symlinks_below: refuses a link in any component below the base", "[virtual][mailbox]") {
  TempDir d;
  REQUIRE(::mkdir((d.path + "/dom").c_str(), 0755) == 0);
  REQUIRE(::mkdir((d.path + "/elsewhere").c_str(), 0755) == 0);
  CHECK(no_symlinks_below(d.path, d.path + "/dom/bob/"));       // bob/ missing: fine
  CHECK(no_symlinks_below(d.path + "/", d.path + "/dom/file"));  // base with a slash
  REQUIRE(::symlink((d.path + "/elsewhere").c_str(), (d.path + "/dom/bob").c_str()) == 0);
  auto r = no_symlinks_below(d.path, d.path + "/dom/bob/");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("symbolic link") != std::string::npos);
  CHECK_FALSE(no_symlinks_below(d.path, d.path + "/dom/bob/new/"));
  REQUIRE(::symlink("/etc/passwd", (d.path + "/dom/mbox").c_str()) == 0);
  CHECK_FALSE(no_symlinks_below(d.path, d.path + "/dom/mbox"));
  CHECK_FALSE(no_symlinks_below(d.path, "/elsewhere/x"));
  CHECK_FALSE(no_symlinks_below(d.path, d.path + "x/y"));
}
