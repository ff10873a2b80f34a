#include "local/from_quote.h"

namespace buzon::local {
namespace {
constexpr std::string_view kFrom = "From ";
}

void FromQuoter::feed(std::string_view in, std::string& out) {
  std::string joined;
  if (!held_.empty()) {
    joined = held_ + std::string(in);
    held_.clear();
    in = joined;
  }
  size_t i = 0;
  while (i < in.size()) {
    if (bol_) {
      std::string_view rest = in.substr(i);
      if (rest.size() < kFrom.size() && kFrom.substr(0, rest.size()) == rest) {
        held_ = std::string(rest);  // undecided until more bytes arrive
        return;
      }
      if (rest.substr(0, kFrom.size()) == kFrom) out += '>';
      bol_ = false;
    }
    size_t nl = in.find('\n', i);
    size_t end = nl == std::string_view::npos ? in.size() : nl + 1;
    out.append(in.substr(i, end - i));
    if (nl != std::string_view::npos) bol_ = true;
    i = end;
  }
}

void FromQuoter::finish(std::string& out) {
  if (held_.empty()) return;
  out += held_;  // shorter than "From ", so never a From line
  held_.clear();
  bol_ = false;
}

}  // namespace buzon::local
