// The logical lines of a Postfix-style text file (readlline() in Postfix):
// main.cf, master.cf and table sources (postmap, cidr_table) share it.
//   - empty lines, white-space-only lines and lines whose first non-space
//     character is '#' are skipped (also inside a continued entry);
//   - a line that starts with white space continues the previous one,
//     joined with one space; each piece is trimmed.
//
// LIMITS  logical_max bytes per logical line (checked before the line
//         grows, so the limit bounds memory); the caller bounds the text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace buzon::file {

struct LogicalLine {
  std::string text;  // continuations joined with one space, trimmed
  int line = 0;      // physical line where it starts, 1-based
};

struct LineRules {
  size_t logical_max = 4096;
  bool nul_is_failure = false;     // a NUL byte stops the split (main.cf)
  bool orphan_is_failure = false;  // a continuation before any entry stops it
};

struct LogicalLines {
  enum class Failure { None, TooLong, Nul, Orphan };
  std::vector<LogicalLine> lines;
  // Continuation lines without an entry before them, when they are not a
  // failure: skipped, their physical line numbers kept for warnings.
  std::vector<int> orphans;
  Failure failure = Failure::None;  // the split stopped here
  int failure_line = 0;             // where: the logical line's start for TooLong
  std::string failure_text;         // Orphan: the trimmed line
};

LogicalLines logical_lines(std::string_view text, const LineRules& rules);

}  // namespace buzon::file
