#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include "lib/file/file.h"
#include "lib/map/map.h"
#include "t/temp_dir.h"

using namespace buzon;

namespace {
using test::TempDir;

std::optional<std::string> get(map::Table& t, std::string_view key) {
  auto r = t.lookup(key);
  REQUIRE(r.ok());
  return *r;
}

std::vector<std::string> g_warnings;
void collect(const std::string& w) { g_warnings.push_back(w); }
}  // namespace

TEST_CASE("map: registry is sorted and knows hash, texthash, static", "[map]") {
  auto t = map::types();
  for (size_t i = 1; i < t.size(); ++i) CHECK(t[i - 1].type < t[i].type);
  CHECK(map::find_type("hash") != nullptr);
  CHECK(map::find_type("hash")->build != nullptr);
  CHECK(map::find_type("texthash") != nullptr);
  CHECK(map::find_type("static") != nullptr);
  CHECK(map::find_type("nosuch") == nullptr);
}

TEST_CASE("map: malformed specs and unknown types are errors", "[map]") {
  CHECK_FALSE(map::parse_spec("/etc/aliases").ok());
  CHECK_FALSE(map::parse_spec(":x").ok());
  CHECK_FALSE(map::parse_spec("hash:").ok());
  auto s = map::parse_spec("hash:/a:b");
  REQUIRE(s.ok());
  CHECK(s->type == "hash");
  CHECK(s->name == "/a:b");
  auto r = map::open("nosuch:/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("unsupported dictionary type: nosuch") != std::string::npos);
}

TEST_CASE("map: static answers its name for any key", "[map]") {
  auto t = map::open("static:5000");
  REQUIRE(t.ok());
  CHECK(get(**t, "anything") == "5000");
  CHECK(get(**t, std::string(map::kKeyMax + 1, 'k')) == std::nullopt);
}

TEST_CASE("map: texthash reads the source and folds lookup keys", "[map]") {
  TempDir d;
  std::string p = d.path + "/virtual";
  REQUIRE(file::write_atomic(p, "Alice@Example.Test alice\nbob@example.test bob, carol\n", 0640));
  auto t = map::open("texthash:" + p);
  REQUIRE(t.ok());
  CHECK((*t)->spec() == "texthash:" + p);
  CHECK(get(**t, "alice@example.test") == "alice");
  CHECK(get(**t, "BOB@EXAMPLE.TEST") == "bob, carol");
  CHECK(get(**t, "nobody@example.test") == std::nullopt);
  CHECK((*t)->owner_uid() == ::getuid());
}

TEST_CASE("map: texthash without folding is exact", "[map]") {
  TempDir d;
  std::string p = d.path + "/t";
  REQUIRE(file::write_atomic(p, "Key v\n"));
  map::OpenOptions o;
  o.fold_case = false;
  auto t = map::open("texthash:" + p, o);
  REQUIRE(t.ok());
  CHECK(get(**t, "Key") == "v");
  CHECK(get(**t, "key") == std::nullopt);
}

TEST_CASE("map: texthash of a missing file or a broken source is an error", "[map]") {
  TempDir d;
  CHECK_FALSE(map::open("texthash:" + d.path + "/none").ok());
  std::string p = d.path + "/bad";
  REQUIRE(file::write_atomic(p, std::string(map::kKeyMax + 1, 'k') + " v\n"));
  auto r = map::open("texthash:" + p);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(p + ":1:") != std::string::npos);
}

TEST_CASE("map: hash build and lookup, atomic replace seen by an open table", "[map]") {
  TempDir d;
  std::string p = d.path + "/aliases";
  REQUIRE(file::write_atomic(p, "Postmaster: root\nlist: a, b\nlist: dup\n", 0640));
  g_warnings.clear();
  REQUIRE(map::find_type("hash")->build(p, map::Syntax::Alias, true, collect));
  REQUIRE(g_warnings.size() == 1);
  CHECK(g_warnings[0].find(p + ":3: duplicate entry") == 0);
  struct stat st;
  REQUIRE(::stat((p + ".db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK(::access((p + ".db.tmp." + std::to_string(::getpid())).c_str(), F_OK) != 0);

  auto t = map::open("hash:" + p);
  REQUIRE(t.ok());
  CHECK(get(**t, "POSTMASTER") == "root");
  CHECK(get(**t, "list") == "a, b");
  CHECK(get(**t, "nobody") == std::nullopt);
  CHECK(get(**t, std::string(map::kKeyMax + 1, 'k')) == std::nullopt);

  // Rebuild with other content: the open table sees the new file.
  REQUIRE(file::write_atomic(p, "postmaster: admin\n", 0640));
  REQUIRE(map::find_type("hash")->build(p, map::Syntax::Alias, true, nullptr));
  CHECK(get(**t, "postmaster") == "admin");
  CHECK(get(**t, "list") == std::nullopt);
}

TEST_CASE("map: hash without a .db file is an error, a broken source keeps the old db", "[map]") {
  TempDir d;
  std::string p = d.path + "/m";
  REQUIRE(file::write_atomic(p, "k v\n"));
  auto none = map::open("hash:" + p);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find(p + ".db") != std::string::npos);
  REQUIRE(map::find_type("hash")->build(p, map::Syntax::Map, true, nullptr));
  REQUIRE(file::write_atomic(p, "k " + std::string(map::kValueMax + 1, 'v') + "\n"));
  CHECK_FALSE(map::find_type("hash")->build(p, map::Syntax::Map, true, nullptr).ok());
  auto t = map::open("hash:" + p);
  REQUIRE(t.ok());
  CHECK(get(**t, "k") == "v");
}

TEST_CASE("map: hash of a garbage .db file is an error, not a crash", "[map]") {
  TempDir d;
  std::string p = d.path + "/g";
  REQUIRE(file::write_atomic(p + ".db", std::string(4096, 'x')));
  CHECK_FALSE(map::open("hash:" + p).ok());
}

TEST_CASE("map: hash -f keeps case in stored keys", "[map]") {
  TempDir d;
  std::string p = d.path + "/c";
  REQUIRE(file::write_atomic(p, "CaSe v\n"));
  REQUIRE(map::find_type("hash")->build(p, map::Syntax::Map, false, nullptr));
  map::OpenOptions o;
  o.fold_case = false;
  auto t = map::open("hash:" + p, o);
  REQUIRE(t.ok());
  CHECK(get(**t, "CaSe") == "v");
  CHECK(get(**t, "case") == std::nullopt);
}

TEST_CASE("map: hash lists every entry with for_each, other types refuse", "[map]") {
  TempDir d;
  std::string p = d.path + "/m";
  REQUIRE(file::write_atomic(p, "a 1\nB 2\nc 3\n"));
  REQUIRE(map::find_type("hash")->build(p, map::Syntax::Map, true, nullptr));
  auto t = map::open("hash:" + p);
  REQUIRE(t.ok());
  std::map<std::string, std::string> seen;
  REQUIRE((*t)->for_each([&](std::string_view k, std::string_view v) {
    seen.emplace(std::string(k), std::string(v));
    return true;
  }));
  CHECK(seen == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}, {"c", "3"}});
  int visited = 0;
  REQUIRE((*t)->for_each([&](std::string_view, std::string_view) { return ++visited < 2; }));
  CHECK(visited == 2);  // stops when the visitor says so
  auto s = map::open("static:x");
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->for_each([](std::string_view, std::string_view) { return true; }).ok());
}
