#include "lib/mailbox/uidlist.h"

#include "lib/core/strings.h"

namespace buzon::mailbox {
namespace {

std::optional<uint64_t> number(std::string_view s, uint64_t max) {
  auto n = str::to_uint(s);
  if (!n || *n > max) return std::nullopt;
  return *n;
}

// Splits off the next space-separated word of line.
std::string_view word(std::string_view& line) {
  auto sp = line.find(' ');
  std::string_view w = line.substr(0, sp);
  line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  return w;
}

}  // namespace

bool base_name_ok(std::string_view base) {
  if (base.empty() || base.size() > 255 || base[0] == '.') return false;
  for (unsigned char c : base)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

std::optional<UidList> parse_uidlist(std::string_view text) {
  if (text.size() > kUidListMax || text.empty() || text.back() != '\n') return std::nullopt;
  UidList list;
  bool header = true;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.size() > kUidLineMax) return std::nullopt;
    if (header) {
      if (word(line) != "B1") return std::nullopt;
      std::string_view v = word(line), n = word(line);
      if (!line.empty() || v.size() < 2 || v[0] != 'V' || n.size() < 2 || n[0] != 'N') return std::nullopt;
      auto validity = number(v.substr(1), UINT32_MAX);
      auto next = number(n.substr(1), UINT32_MAX);
      if (!validity || !next || *validity == 0 || *next == 0) return std::nullopt;
      list.uidvalidity = static_cast<uint32_t>(*validity);
      list.next_uid = static_cast<uint32_t>(*next);
      header = false;
      continue;
    }
    auto uid = number(word(line), UINT32_MAX);
    auto vsize = number(word(line), UINT64_MAX >> 8);
    if (!uid || !vsize || *uid == 0 || *uid >= list.next_uid || !base_name_ok(line)) return std::nullopt;
    if (!list.entries.empty() && list.entries.back().uid >= *uid) return std::nullopt;
    list.entries.push_back({static_cast<uint32_t>(*uid), *vsize, std::string(line)});
  }
  if (header) return std::nullopt;
  return list;
}

std::string format_uidlist(const UidList& list) {
  std::string out = "B1 V" + std::to_string(list.uidvalidity) + " N" + std::to_string(list.next_uid) + "\n";
  for (const auto& e : list.entries) {
    out += std::to_string(e.uid);
    out += ' ';
    out += std::to_string(e.vsize);
    out += ' ';
    out += e.base;
    out += '\n';
  }
  return out;
}

}  // namespace buzon::mailbox
