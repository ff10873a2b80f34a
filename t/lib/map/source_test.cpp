#include <catch2/catch.hpp>

#include "lib/map/source.h"

using namespace buzon;
using map::Syntax;

namespace {
map::Source parse(std::string_view text, Syntax syntax = Syntax::Map, bool fold = true) {
  auto r = map::parse_source(text, "f", syntax, fold);
  REQUIRE(r.ok());
  return *r;
}
}  // namespace

TEST_CASE("map source: key whitespace value, comments, blank lines", "[map]") {
  auto s = parse("# comment\n\nKey1   value one  \n  # indented comment\nkey2\tv2\n");
  REQUIRE(s.entries.size() == 2);
  CHECK(s.entries[0].key == "key1");
  CHECK(s.entries[0].value == "value one");
  CHECK(s.entries[0].line == 3);
  CHECK(s.entries[1].key == "key2");
  CHECK(s.entries[1].value == "v2");
  CHECK(s.warnings.empty());
}

TEST_CASE("map source: continuation lines join, comments inside are skipped", "[map]") {
  auto s = parse("list a,\n  b,\n# note\n\tc\nnext x\r\n");
  REQUIRE(s.entries.size() == 2);
  CHECK(s.entries[0].value == "a, b, c");
  CHECK(s.entries[1].key == "next");
  CHECK(s.entries[1].value == "x");
}

TEST_CASE("map source: fold_case false keeps the key", "[map]") {
  auto s = parse("MiXed V\n", Syntax::Map, false);
  CHECK(s.entries.at(0).key == "MiXed");
  CHECK(s.entries.at(0).value == "V");
}

TEST_CASE("map source: missing value and duplicates are warnings with file:line", "[map]") {
  auto s = parse("lonely\na 1\nA 2\n");
  REQUIRE(s.entries.size() == 1);
  CHECK(s.entries[0].value == "1");
  REQUIRE(s.warnings.size() == 2);
  CHECK(s.warnings[0] == "f:1: expected format: key whitespace value");
  CHECK(s.warnings[1].rfind("f:3: duplicate entry: \"a\"", 0) == 0);
}

TEST_CASE("map source: leading continuation line is a warning", "[map]") {
  auto s = parse("  orphan\nk v\n");
  CHECK(s.entries.size() == 1);
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0].rfind("f:1:", 0) == 0);
}

TEST_CASE("map source: alias syntax", "[map]") {
  auto s = parse("Postmaster: root\nlist:a, b,\n  c\n\"odd name\": x\nbad line\n: empty\n", Syntax::Alias);
  REQUIRE(s.entries.size() == 3);
  CHECK(s.entries[0].key == "postmaster");
  CHECK(s.entries[0].value == "root");
  CHECK(s.entries[1].value == "a, b, c");
  CHECK(s.entries[2].key == "odd name");
  REQUIRE(s.warnings.size() == 2);
  CHECK(s.warnings[0] == "f:5: need name:value pair");
  CHECK(s.warnings[1] == "f:6: need name:value pair");
}

TEST_CASE("map source: alias value may hold colons (:include:)", "[map]") {
  auto s = parse("staff: :include:/etc/staff, \"|/bin/cmd a:b\"\n", Syntax::Alias);
  REQUIRE(s.entries.size() == 1);
  CHECK(s.entries[0].value == ":include:/etc/staff, \"|/bin/cmd a:b\"");
}

TEST_CASE("map source: key limit at and over", "[map]") {
  std::string at(map::kKeyMax, 'k');
  auto ok = map::parse_source(at + " v\n", "f", Syntax::Map, true);
  REQUIRE(ok.ok());
  CHECK(ok->entries.at(0).key == at);
  auto bad = map::parse_source("x 1\n" + at + "k v\n", "f", Syntax::Map, true);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("f:2: key longer than", 0) == 0);
}

TEST_CASE("map source: value limit at and over", "[map]") {
  std::string at(map::kValueMax, 'v');
  auto ok = map::parse_source("k " + at + "\n", "f", Syntax::Map, true);
  REQUIRE(ok.ok());
  CHECK(ok->entries.at(0).value.size() == map::kValueMax);
  auto bad = map::parse_source("k " + at + "v\n", "f", Syntax::Map, true);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("f:1: value longer than", 0) == 0);
}

TEST_CASE("map source: logical line limit counts continuations", "[map]") {
  std::string chunk(1000, 'a');
  std::string text = "k " + chunk + "\n";
  for (size_t i = 0; i < map::kLogicalLineMax / 1000 + 1; ++i) text += " " + chunk + "\n";
  auto bad = map::parse_source(text, "f", Syntax::Map, true);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("f:1: logical line longer than", 0) == 0);
}
