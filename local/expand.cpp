#include "local/expand.h"

namespace buzon::local {
namespace {

bool name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

void expand_into(std::string_view t, const Vars& vars, int depth, Expanded& out) {
  if (depth > kExpandDepthMax) {
    out.ok = false;
    return;
  }
  auto value_of = [&](std::string_view name) -> const std::string* {
    auto it = vars.find(name);
    return it == vars.end() || it->second.empty() ? nullptr : &it->second;
  };
  for (size_t i = 0; i < t.size() && out.ok; ++i) {
    if (t[i] != '$') {
      out.text += t[i];
    } else if (i + 1 < t.size() && t[i + 1] == '$') {
      out.text += '$';
      ++i;
    } else if (i + 1 < t.size() && t[i + 1] == '{') {
      size_t j = i + 2, level = 1;
      for (; j < t.size() && level > 0; ++j) {
        if (t[j] == '{') ++level;
        else if (t[j] == '}') --level;
      }
      if (level != 0) {
        out.ok = false;
        return;
      }
      std::string_view inner = t.substr(i + 2, j - i - 3);
      size_t n = 0;
      while (n < inner.size() && name_char(inner[n])) ++n;
      std::string_view name = inner.substr(0, n);
      const std::string* v = value_of(name);
      if (name.empty()) {
        out.ok = false;
        return;
      }
      if (n == inner.size()) {
        if (v) out.text += *v;
        else out.used_undefined = true;
      } else if (inner[n] == '?' || inner[n] == ':') {
        std::string_view text = inner.substr(n + 1);
        if (text.size() >= 2 && text.front() == '{' && text.back() == '}') text = text.substr(1, text.size() - 2);
        if ((inner[n] == '?') == (v != nullptr)) expand_into(text, vars, depth + 1, out);
      } else {
        out.ok = false;
        return;
      }
      i = j - 1;
    } else {
      size_t j = i + 1;
      while (j < t.size() && name_char(t[j])) ++j;
      if (j == i + 1) {
        out.text += '$';
        continue;
      }
      if (const std::string* v = value_of(t.substr(i + 1, j - i - 1))) out.text += *v;
      else out.used_undefined = true;
      i = j - 1;
    }
    if (out.text.size() > kExpandedMax) out.ok = false;
  }
}

}  // namespace

Expanded expand_vars(std::string_view tmpl, const Vars& vars) {
  Expanded out;
  expand_into(tmpl, vars, 0, out);
  return out;
}

}  // namespace buzon::local
