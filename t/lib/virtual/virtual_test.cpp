#include "lib/virtual/virtual.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

using namespace buzon;
using namespace buzon::virt;
using Strings = std::vector<std::string>;

namespace {

struct TempTable {
  std::string path;
  explicit TempTable(const std::string& text) {
    char tmpl[] = "/tmp/virtual_test.XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempTable() { ::unlink(path.c_str()); }
  std::string spec() const { return "texthash:" + path; }
};

Aliases aliases(const TempTable& t, size_t recursion = 1000, size_t expansion = 1000) {
  AliasRules r;
  r.maps = {t.spec()};
  r.delimiters = "+";
  r.myorigin = "example.org";
  r.is_own_domain = [](std::string_view d) { return d == "example.org"; };
  r.recursion_limit = recursion;
  r.expansion_limit = expansion;
  return Aliases(r);
}

}  // namespace

TEST_CASE("virtual: lookup keys in virtual(5) order", "[virtual]") {
  CHECK(alias_keys("User+Tag@Virt.Example", "+", false).size() == 3);
  auto k = alias_keys("User+Tag@Virt.Example.", "+", false);
  CHECK(k[0].key == "user+tag@virt.example");
  CHECK(k[1].key == "user@virt.example");
  CHECK(k[1].without_extension);
  CHECK(k[2].key == "@virt.example");
  auto own = alias_keys("user+tag@example.org", "+", true);
  REQUIRE(own.size() == 5);
  CHECK(own[2].key == "user+tag");
  CHECK(own[3].key == "user");
  CHECK(own[4].key == "@example.org");
  CHECK(alias_keys("user@v.example", "+", false).size() == 2);
  CHECK(alias_keys("+x@v.example", "+", false)[0].key == "+x@v.example");  // a leading delimiter is no extension
  CHECK(alias_keys("+x@v.example", "+", false).size() == 2);
}

TEST_CASE("virtual: result addresses: @domain, append_at_myorigin, extensions", "[virtual]") {
  CHECK(result_addresses("a@x.example, b@y.example c", "u@v.example", "", "example.org") ==
        Strings{"a@x.example", "b@y.example", "c@example.org"});
  CHECK(result_addresses("@other.example, @z.example", "u@v.example", "", "example.org") ==
        Strings{"u@other.example", "@z.example"});
  CHECK(result_addresses("a@x.example", "u+t@v.example", "+t", "example.org") == Strings{"a+t@x.example"});
}

TEST_CASE("virtual: domain lists: names and tables", "[virtual]") {
  TempTable t("hosted.example anything\nuser@hosted.example x\n");
  DomainList l({"Virt.Example.", t.spec()});
  CHECK(*l.contains("virt.example"));
  CHECK(*l.contains("hosted.example"));
  CHECK_FALSE(*l.contains("sub.virt.example"));
  CHECK_FALSE(*l.contains("other.example"));
  CHECK_FALSE(*l.contains(""));
  CHECK(DomainList({}).empty());
  DomainList broken({"texthash:/nonexistent/virtual"});
  CHECK_FALSE(broken.contains("x.example").ok());
}

TEST_CASE("virtual: expansion: one-to-many, recursion, self, catch-all", "[virtual]") {
  TempTable t(
      "info@v.example   sales@v.example, boss@elsewhere.example\n"
      "sales@v.example  ann@v.example bob@v.example\n"
      "ann@v.example    ann@v.example, ann-archive@v.example\n"
      "bob@v.example    robert@mail.example\n"
      "@catch.example   catchall@mail.example\n"
      "list@v.example   ann@v.example, ANN@v.example, bob@v.example\n"
      "local            someone@mail.example\n");
  auto a = aliases(t);
  CHECK(*a.expand("nobody@v.example") == Strings{"nobody@v.example"});
  CHECK(*a.expand("info@v.example") ==
        Strings{"ann@v.example", "ann-archive@v.example", "robert@mail.example", "boss@elsewhere.example"});
  CHECK(*a.expand("x@catch.example") == Strings{"catchall@mail.example"});
  CHECK(*a.expand("bob+tag@v.example") == Strings{"robert+tag@mail.example"});
  CHECK(*a.expand("list@v.example") == Strings{"ann@v.example", "ann-archive@v.example", "robert@mail.example"});
  CHECK(*a.expand("local@example.org") == Strings{"someone@mail.example"});
  CHECK(*a.expand("local@v.example") == Strings{"local@v.example"});  // bare names only for our own domains
  CHECK(a.lookup("none@v.example")->has_value() == false);
}

TEST_CASE("virtual: expansion limits and loops", "[virtual]") {
  TempTable t(
      "a@v.example b@v.example\n"
      "b@v.example a@v.example\n"
      "c1@v.example c2@v.example\nc2@v.example c3@v.example\nc3@v.example c4@v.example\n"
      "many@v.example m1@x, m2@x, m3@x, m4@x\n");
  auto a = aliases(t, 2, 3);
  CHECK(*a.expand("a@v.example") == Strings{"a@v.example"});  // the loop ends where it closes
  auto deep = a.expand("c1@v.example");
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message == "unreasonable virtual_alias_maps map nesting for c4@v.example");
  auto wide = a.expand("many@v.example");
  REQUIRE_FALSE(wide.ok());
  CHECK(wide.error().message.find("map expansion size") != std::string::npos);
  auto roomy = aliases(t, 3, 4);
  CHECK(*roomy.expand("c1@v.example") == Strings{"c4@v.example"});
  CHECK(roomy.expand("many@v.example")->size() == 4);
}

TEST_CASE("virtual: a table that cannot be read is an error", "[virtual]") {
  AliasRules r;
  r.maps = {"texthash:/nonexistent/virtual"};
  Aliases a(r);
  CHECK(a.enabled());
  CHECK_FALSE(a.expand("x@v.example").ok());
  CHECK_FALSE(Aliases(AliasRules{}).enabled());
}
