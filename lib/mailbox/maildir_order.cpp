#include "lib/mailbox/maildir_order.h"

#include <tuple>

namespace buzon::mailbox {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The number made of the digits at the front of s (at most
// kArrivalDigitsMax of them, followed by a non-digit or the end); the
// digits are consumed only when it succeeds.
bool take_number(std::string_view& s, uint64_t& out) {
  size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  if (n == 0 || n > MaildirArrival::kArrivalDigitsMax) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  out = v;
  s.remove_prefix(n);
  return true;
}

}  // namespace

MaildirArrival maildir_arrival(std::string_view base) {
  MaildirArrival a;
  std::string_view rest = base;
  uint64_t sec = 0;
  if (!take_number(rest, sec) || rest.empty() || rest.front() != '.') return a;
  a.has_seconds = true;
  a.seconds = sec;
  rest.remove_prefix(1);
  std::string_view field = rest.substr(0, rest.find('.'));
  // qmail's "<sec>.<pid>.<host>": the whole field is the pid.
  if (std::string_view f = field; take_number(f, a.pid) && f.empty()) return a;
  a.pid = 0;
  // Letter-tagged numbers (M123P45Q6, V802I1234M567): only M and P matter;
  // the other tags (and anything unparsable) are left to the name order.
  bool have_m = false, have_p = false;
  while (!field.empty()) {
    char tag = field.front();
    field.remove_prefix(1);
    uint64_t v = 0;
    if (!take_number(field, v)) continue;
    if (tag == 'M' && !have_m) a.microseconds = v, have_m = true;
    else if (tag == 'P' && !have_p) a.pid = v, have_p = true;
  }
  return a;
}

int natural_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  int zeros = 0;  // first difference in leading zeros, the last tie-break
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      size_t za = i, zb = j;
      while (za < a.size() && a[za] == '0') ++za;
      while (zb < b.size() && b[zb] == '0') ++zb;
      size_t ea = za, eb = zb;
      while (ea < a.size() && is_digit(a[ea])) ++ea;
      while (eb < b.size() && is_digit(b[eb])) ++eb;
      // Without leading zeros, the longer run is the larger number, and
      // runs of the same length compare digit by digit.
      if (ea - za != eb - zb) return ea - za < eb - zb ? -1 : 1;
      if (int c = a.substr(za, ea - za).compare(b.substr(zb, eb - zb)); c != 0) return c < 0 ? -1 : 1;
      if (zeros == 0 && za - i != zb - j) zeros = za - i > zb - j ? -1 : 1;
      i = ea;
      j = eb;
      continue;
    }
    auto ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[j]);
    if (ca != cb) return ca < cb ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return zeros;
}

bool delivered_before(std::string_view a, std::string_view b) {
  MaildirArrival x = maildir_arrival(a), y = maildir_arrival(b);
  if (x.has_seconds != y.has_seconds) return x.has_seconds;
  auto kx = std::tie(x.seconds, x.microseconds, x.pid);
  auto ky = std::tie(y.seconds, y.microseconds, y.pid);
  if (kx != ky) return kx < ky;
  return natural_compare(a, b) < 0;
}

}  // namespace buzon::mailbox
