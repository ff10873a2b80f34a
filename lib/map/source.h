// The text source of a table, as postmap(1) and postalias(1) read it:
//   - empty lines, white-space-only lines and lines whose first non-space
//     character is '#' are ignored (also inside a continued entry);
//   - a line that starts with white space continues the previous one;
//   - Syntax::Map: "key whitespace value"; Syntax::Alias: "name: value",
//     where name may be "quoted" (aliases(5)).
// Keys are lower-cased when fold_case. The first of duplicate keys wins and
// each later one is a warning, as postmap does. A line without a value is
// a warning and is skipped (postmap: "expected format: key whitespace
// value").
//
// LIMITS  kLogicalLineMax per logical line, kKeyMax per key, kValueMax per
//         value (errors with file:line), kSourceFileMax per file.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/map/map.h"

namespace buzon::map {

struct Entry {
  std::string key;
  std::string value;
  int line = 0;  // where the entry starts
};

struct Source {
  std::vector<Entry> entries;         // in file order, duplicates removed
  std::vector<std::string> warnings;  // "file:line: ..." each
};

// filename is for messages only.
Result<Source> parse_source(std::string_view text, const std::string& filename, Syntax syntax,
                            bool fold_case);
// Reads path (refusing more than kSourceFileMax bytes) and parses it.
Result<Source> read_source(const std::string& path, Syntax syntax, bool fold_case);

}  // namespace buzon::map
