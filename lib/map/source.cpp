#include "lib/map/source.h"

#include <cctype>
#include <unordered_map>

#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/file/lines.h"

namespace buzon::map {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string where(const std::string& filename, int line) { return filename + ":" + std::to_string(line); }

struct KeyValue {
  std::string key;
  std::string value;
  std::string problem;  // non-empty: the line is skipped with this warning
};

// postmap: the key is the first word, the value the rest.
KeyValue split_map(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && !is_space(s[i])) ++i;
  KeyValue kv{std::string(s.substr(0, i)), std::string(str::trim(s.substr(i))), ""};
  if (kv.value.empty()) kv.problem = "expected format: key whitespace value";
  return kv;
}

// aliases(5): name: value, the name optionally "quoted" with \ escapes.
KeyValue split_alias(std::string_view s) {
  KeyValue kv;
  size_t i = 0;
  if (!s.empty() && s[0] == '"') {
    for (i = 1; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      kv.key += s[i];
    }
    if (i >= s.size()) return {"", "", "unbalanced quote in alias name"};
    ++i;
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || s[i] != ':') return {"", "", "need name:value pair"};
  } else {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return {"", "", "need name:value pair"};
    kv.key = std::string(str::trim(s.substr(0, colon)));
    for (char c : kv.key)
      if (is_space(c)) return {"", "", "need name:value pair"};
    i = colon;
  }
  kv.value = std::string(str::trim(s.substr(i + 1)));
  if (kv.key.empty() || kv.value.empty()) kv.problem = "need name:value pair";
  return kv;
}

// Adds one logical line to out. Returns an Error only for a broken limit.
Status add_entry(const std::string& text, int line, const std::string& filename, Syntax syntax,
                 bool fold_case, std::unordered_map<std::string, int>& seen, Source& out) {
  KeyValue kv = syntax == Syntax::Map ? split_map(text) : split_alias(text);
  if (!kv.problem.empty()) {
    out.warnings.push_back(where(filename, line) + ": " + kv.problem);
    return {};
  }
  if (kv.key.size() > kKeyMax)
    return Error{where(filename, line) + ": key longer than " + std::to_string(kKeyMax) + " bytes"};
  if (kv.value.size() > kValueMax)
    return Error{where(filename, line) + ": value longer than " + std::to_string(kValueMax) + " bytes"};
  if (fold_case) kv.key = str::lower(kv.key);
  auto [it, fresh] = seen.emplace(kv.key, line);
  if (!fresh) {
    out.warnings.push_back(where(filename, line) + ": duplicate entry: \"" + str::sanitize(kv.key) +
                           "\" (first at line " + std::to_string(it->second) + "), ignored");
    return {};
  }
  out.entries.push_back(Entry{std::move(kv.key), std::move(kv.value), line});
  return {};
}

}  // namespace

Result<Source> parse_source(std::string_view text, const std::string& filename, Syntax syntax,
                            bool fold_case) {
  Source out;
  file::LogicalLines split = file::logical_lines(text, {.logical_max = kLogicalLineMax});
  if (split.failure != file::LogicalLines::Failure::None)
    return Error{where(filename, split.failure_line) + ": logical line longer than " +
                 std::to_string(kLogicalLineMax) + " bytes"};
  for (int line : split.orphans)
    out.warnings.push_back(where(filename, line) + ": continuation line without an entry, ignored");
  std::unordered_map<std::string, int> seen;
  for (const file::LogicalLine& l : split.lines)
    if (auto s = add_entry(l.text, l.line, filename, syntax, fold_case, seen, out); !s) return s.error();
  return out;
}

Result<Source> read_source(const std::string& path, Syntax syntax, bool fold_case) {
  auto text = file::read_file(path, kSourceFileMax);
  if (!text) return text.error();
  return parse_source(*text, path, syntax, fold_case);
}

}  // namespace buzon::map
