#include "local/targets.h"

#include "lib/core/strings.h"

namespace buzon::local {
namespace {

TargetItem classify(std::string item) {
  using K = TargetItem::Kind;
  if (item.size() >= 2 && item.front() == '<' && item.back() == '>') item = item.substr(1, item.size() - 2);
  if (!item.empty() && item.front() == '|') return {K::Command, std::string(str::trim(item.substr(1)))};
  if (!item.empty() && item.front() == '/') return {K::File, item};
  if (str::istarts_with(item, ":include:")) return {K::Include, std::string(str::trim(item.substr(9)))};
  if (!item.empty() && item.front() == '\\') return {K::Mailbox, str::lower(item.substr(1))};
  return {K::Address, item};
}

// Removes the quotes of an item that is one quoted string ("|cmd a b").
std::string unquote_whole(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '"') return std::string(s);  // "a"@"b": not one quoted string
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

}  // namespace

Result<std::vector<TargetItem>> parse_targets(std::string_view list) {
  std::vector<TargetItem> out;
  std::string item;
  bool quoted = false;
  auto flush = [&]() -> Status {
    std::string_view t = str::trim(item);
    if (!t.empty()) {
      if (out.size() >= kTargetsMax)
        return Error{"more than " + std::to_string(kTargetsMax) + " destinations in one list"};
      out.push_back(classify(unquote_whole(t)));
    }
    item.clear();
    return {};
  };
  for (size_t i = 0; i < list.size(); ++i) {
    char c = list[i];
    if (quoted && c == '\\' && i + 1 < list.size()) {
      item += c;
      item += list[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == ',' || c == '\n')) {
      if (auto s = flush(); !s) return s.error();
      continue;
    }
    item += c;
  }
  if (quoted) return Error{"unbalanced quote in destination list"};
  if (auto s = flush(); !s) return s.error();
  return out;
}

std::string list_from_file_text(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view t = str::trim(line);
    if (t.empty() || t.front() == '#') continue;
    out += t;
    out += '\n';
  }
  return out;
}

}  // namespace buzon::local
