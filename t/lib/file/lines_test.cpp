#include <catch2/catch.hpp>

#include "lib/file/lines.h"

using namespace buzon;
using file::LogicalLines;

TEST_CASE("lines: comments and blank lines skipped, continuations joined with one space", "[file][lines]") {
  auto r = file::logical_lines("# c\n\na  b \n  # inside\n\tc\nd\n", {});
  CHECK(r.failure == LogicalLines::Failure::None);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[0].text == "a  b c");
  CHECK(r.lines[0].line == 3);
  CHECK(r.lines[1].text == "d");
  CHECK(r.lines[1].line == 6);
}

TEST_CASE("lines: a leading continuation is kept aside, or a failure", "[file][lines]") {
  auto soft = file::logical_lines("  orphan\nk v\n", {});
  CHECK(soft.failure == LogicalLines::Failure::None);
  CHECK(soft.orphans == std::vector<int>{1});
  REQUIRE(soft.lines.size() == 1);
  auto hard = file::logical_lines("k v\n", {.orphan_is_failure = true});
  CHECK(hard.failure == LogicalLines::Failure::None);
  auto bad = file::logical_lines("\n  orphan\n", {.orphan_is_failure = true});
  CHECK(bad.failure == LogicalLines::Failure::Orphan);
  CHECK(bad.failure_line == 2);
  CHECK(bad.failure_text == "orphan");
}

TEST_CASE("lines: NUL is a failure only when asked", "[file][lines]") {
  std::string text("a\0b\n", 4);
  CHECK(file::logical_lines(text, {}).failure == LogicalLines::Failure::None);
  auto r = file::logical_lines(text, {.nul_is_failure = true});
  CHECK(r.failure == LogicalLines::Failure::Nul);
  CHECK(r.failure_line == 1);
}

TEST_CASE("lines: logical_max at the limit and one over, continuations counted", "[file][lines][limit]") {
  std::string at(10, 'x');
  CHECK(file::logical_lines(at, {.logical_max = 10}).failure == LogicalLines::Failure::None);
  CHECK(file::logical_lines(at + "x", {.logical_max = 10}).failure == LogicalLines::Failure::TooLong);
  // "xxxx" + " " + "yyyyy" = 10 fits; one more byte does not, reported at
  // the line where the entry starts.
  CHECK(file::logical_lines("\nxxxx\n yyyyy\n", {.logical_max = 10}).failure == LogicalLines::Failure::None);
  auto over = file::logical_lines("\nxxxx\n yyyyyy\n", {.logical_max = 10});
  CHECK(over.failure == LogicalLines::Failure::TooLong);
  CHECK(over.failure_line == 2);
}
