// $name expansion of the per-recipient templates forward_path and
// luser_relay (Postfix local(8)): $name, ${name}, ${name?text} (text when
// name is defined), ${name:text} (text when it is not). A name is defined
// when vars holds it with a non-empty value; Postfix skips a forward_path
// element that uses an undefined name unconditionally (no
// "$home/.forward+" for an address without extension), so the result says
// whether that happened.
//
// LIMITS  kExpandedMax bytes of output, kExpandDepthMax nested ${...}.
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace buzon::local {

constexpr size_t kExpandedMax = 4096;
constexpr int kExpandDepthMax = 10;

using Vars = std::map<std::string, std::string, std::less<>>;

struct Expanded {
  std::string text;
  bool used_undefined = false;  // an unconditional $name had no value
  bool ok = true;               // false: syntax error or over a limit
};

Expanded expand_vars(std::string_view tmpl, const Vars& vars);

}  // namespace buzon::local
