#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/map_cmd.h"
#include "lib/config/config.h"
#include "lib/file/file.h"
#include "lib/map/map.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;
using V = std::vector<std::string>;

TEST_CASE("map args: options, tables, -q needs one table", "[map_cmd]") {
  auto a = parse_map_args(V{"-f", "-a", "-q", "Key", "hash:/x"});
  REQUIRE(a);
  CHECK_FALSE(a->fold_case);
  CHECK(a->alias_syntax);
  CHECK(a->query == "Key");
  CHECK(a->tables == V{"hash:/x"});
  CHECK(parse_map_args(V{"/a", "/b"})->tables.size() == 2);
  CHECK_FALSE(parse_map_args(V{}));
  CHECK_FALSE(parse_map_args(V{"-q"}));
  CHECK_FALSE(parse_map_args(V{"-q", "k", "/a", "/b"}));
  CHECK_FALSE(parse_map_args(V{"-z", "/a"}));
  CHECK(parse_map_args(V{"--", "-odd"})->tables == V{"-odd"});
}

TEST_CASE("buzon map builds with default_database_type and queries", "[map_cmd]") {
  test::TempDir d;
  REQUIRE(file::write_atomic(d.path + "/main.cf", "queue_directory = " + d.path + "/q\n"));
  std::string src = d.path + "/virtual";
  REQUIRE(file::write_atomic(src, "Alice@Example.Test alice\n"));
  CHECK(cmd_map(d.path, V{src}) == 0);
  CHECK(::access((src + ".db").c_str(), F_OK) == 0);
  CHECK(cmd_map(d.path, V{"-q", "ALICE@example.test", "hash:" + src}) == 0);
  CHECK(cmd_map(d.path, V{"-q", "bob@example.test", src}) == 1);
  // texthash has nothing to build, but can be queried.
  CHECK(cmd_map(d.path, V{"texthash:" + src}) == 1);
  CHECK(cmd_map(d.path, V{"-q", "alice@example.test", "texthash:" + src}) == 0);
  CHECK(cmd_map(d.path, V{"nosuch:" + src}) == 1);
  CHECK(cmd_map(d.path, V{d.path + "/missing"}) == 1);
}

TEST_CASE("newaliases builds every alias_database from aliases(5) syntax", "[map_cmd]") {
  test::TempDir d;
  REQUIRE(file::write_atomic(d.path + "/main.cf",
                             "alias_database = hash:$config_directory/aliases, hash:$config_directory/more\n"));
  REQUIRE(file::write_atomic(d.path + "/aliases", "Postmaster: root\n"));
  REQUIRE(file::write_atomic(d.path + "/more", "list: a, b\n"));
  auto cf = config::MainCf::load(d.path);
  REQUIRE(cf);
  CHECK(run_newaliases(*cf, "newaliases") == 0);
  auto t = map::open("hash:" + d.path + "/aliases");
  REQUIRE(t);
  CHECK(*(*t)->lookup("postmaster") == std::optional<std::string>("root"));
  auto m = map::open("hash:" + d.path + "/more");
  REQUIRE(m);
  CHECK(*(*m)->lookup("list") == std::optional<std::string>("a, b"));
  REQUIRE(::unlink((d.path + "/more").c_str()) == 0);
  CHECK(run_newaliases(*cf, "newaliases") == 1);
}
