// cidr: tables (cidr_table(5)) through the lib/map registry.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include "lib/file/file.h"
#include "lib/map/map.h"
#include "lib/map/types.h"
#include "lib/net/ip.h"

using namespace buzon;

namespace {

struct CidrFile {
  std::string dir;
  std::string path;
  explicit CidrFile(std::string_view text) {
    char tmpl[] = "/tmp/buzon-cidr-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/clients";
    REQUIRE(file::write_atomic(path, text).ok());
  }
  ~CidrFile() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

std::optional<std::string> get(map::Table& t, std::string_view key) {
  auto r = t.lookup(key);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("cidr: first matching network wins; bare address; IPv6; continuation", "[map][cidr]") {
  CidrFile f("# clients\n192.0.2.128/25 REJECT upper half\n192.0.2.0/24 OK\n198.51.100.7 DISCARD\n"
             "[2001:DB8::]/32 550 5.7.1 v6\n  net\n10.0.0.0/8\tDUNNO\n");
  auto t = map::open("cidr:" + f.path);
  REQUIRE(t.ok());
  CHECK((*t)->is_pattern());
  CHECK(get(**t, "192.0.2.200") == "REJECT upper half");
  CHECK(get(**t, "192.0.2.127") == "OK");
  CHECK(get(**t, "198.51.100.7") == "DISCARD");
  CHECK(get(**t, "198.51.100.8") == std::nullopt);
  CHECK(get(**t, "2001:db8::1") == "550 5.7.1 v6 net");
  CHECK(get(**t, "::ffff:10.1.2.3") == "DUNNO");  // mapped IPv4 matches IPv4 networks
  CHECK(get(**t, "mail.example.org") == std::nullopt);  // names are never found
}

TEST_CASE("cidr: a bad network is an error with file:line", "[map][cidr]") {
  auto r = map::detail::parse_cidr_source("192.0.2.0/24 OK\n\n192.0.2.1/24 REJECT\n", "clients");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.rfind("clients:3: non-null host address bits in \"192.0.2.1/24\"", 0) == 0);
  auto junk = map::detail::parse_cidr_source("not-a-network OK\n", "clients");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().message.rfind("clients:1: ", 0) == 0);
  // A line without a result is skipped (postmap's warning), not an error.
  auto lonely = map::detail::parse_cidr_source("192.0.2.0/24\n10.0.0.0/8 OK\n", "clients");
  REQUIRE(lonely.ok());
  CHECK(lonely->size() == 1);
}

TEST_CASE("cidr: a missing file is an error; the registry knows cidr", "[map][cidr]") {
  CHECK(map::find_type("cidr") != nullptr);
  CHECK_FALSE(map::open("cidr:/nonexistent/clients").ok());
}
