#include "lib/tls/protocols.h"

#include <openssl/ssl.h>

#include <array>
#include <string>

#include "lib/core/strings.h"

namespace buzon::tls {
namespace {

struct Known {
  std::string_view name;
  int version;                // OpenSSL's constant
  unsigned long long no_bit;  // SSL_OP_NO_* for a hole in the range
  bool usable;                // TLS: may be enabled at all
};
constexpr std::array<Known, 6> kKnown{{
    {"sslv2", SSL2_VERSION, 0, false},
    {"sslv3", SSL3_VERSION, 0, false},
    {"tlsv1", TLS1_VERSION, SSL_OP_NO_TLSv1, true},
    {"tlsv1.1", TLS1_1_VERSION, SSL_OP_NO_TLSv1_1, true},
    {"tlsv1.2", TLS1_2_VERSION, SSL_OP_NO_TLSv1_2, true},
    {"tlsv1.3", TLS1_3_VERSION, SSL_OP_NO_TLSv1_3, true},
}};

int index_of(std::string_view name) {
  std::string lower = str::lower(name);
  for (size_t i = 0; i < kKnown.size(); ++i)
    if (kKnown[i].name == lower) return static_cast<int>(i);
  return -1;
}

}  // namespace

Result<ProtocolRange> parse_protocols(std::string_view spec) {
  std::array<bool, kKnown.size()> excluded{}, included{};
  bool any_included = false;
  size_t low = 0, high = kKnown.size() - 1;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find_first_of(" \t\r\n,:", pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view word = spec.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    enum { Include, Exclude, AtLeast, AtMost } kind = Include;
    if (word.starts_with("!")) kind = Exclude, word.remove_prefix(1);
    else if (word.starts_with(">=")) kind = AtLeast, word.remove_prefix(2);
    else if (word.starts_with("<=")) kind = AtMost, word.remove_prefix(2);
    int i = index_of(word);
    if (i < 0) return Error{"bad protocol name: " + std::string(word)};
    auto u = static_cast<size_t>(i);
    switch (kind) {
      case Include: included[u] = any_included = true; break;
      case Exclude: excluded[u] = true; break;
      case AtLeast: low = std::max(low, u); break;
      case AtMost: high = std::min(high, u); break;
    }
  }
  ProtocolRange r;
  bool open = false;
  std::array<bool, kKnown.size()> on{};
  for (size_t i = 0; i < kKnown.size(); ++i)
    on[i] = kKnown[i].usable && i >= low && i <= high && !excluded[i] && (!any_included || included[i]);
  for (size_t i = 0; i < kKnown.size(); ++i) {
    if (!on[i]) continue;
    if (!open) r.min_version = kKnown[i].version, open = true;
    r.max_version = kKnown[i].version;
  }
  if (!open) return Error{"no TLS protocol left enabled"};
  for (size_t i = 0; i < kKnown.size(); ++i)
    if (kKnown[i].usable && !on[i] && kKnown[i].version > r.min_version && kKnown[i].version < r.max_version)
      r.no_options |= kKnown[i].no_bit;
  return r;
}

}  // namespace buzon::tls
