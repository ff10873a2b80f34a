#include "lib/address/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "lib/core/strings.h"

namespace buzon::address {

namespace {

// RFC 5322 atext: the characters of a Dot-string atom.
bool is_atext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// RFC 5321 qtextSMTP: printable ASCII and space, except '"' and '\'.
bool is_qtext(unsigned char c) { return c >= 32 && c <= 126 && c != '"' && c != '\\'; }

bool is_let_dig(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

Error malformed() { return Error{"malformed"}; }
Error too_long() { return Error{"too long"}; }

// RFC 5321 IPv4-address-literal: four Snum (1*3DIGIT, 0..255). Leading
// zeros are allowed by the grammar, which is why inet_pton is not used.
bool ipv4_literal_ok(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t digits = 0;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

}  // namespace

size_t utf8_sequence(std::string_view s) {
  if (s.empty()) return 0;
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

// The cursor-based parser for one path. Positions index into in_.
class Parser {
 public:
  Parser(std::string_view in, size_t pos, bool utf8) : in_(in), pos_(pos), utf8_(utf8) {}

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  bool eat(char c) {
    if (at_end() || in_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // Local-part = Dot-string / Quoted-string. Appends the unquoted form.
  bool local_part(std::string& out) {
    if (eat('"')) {
      while (!at_end()) {
        unsigned char c = static_cast<unsigned char>(in_[pos_++]);
        if (c == '"') return true;
        if (c == '\\') {
          // quoted-pairSMTP = '\' %d32-126
          if (at_end()) return false;
          unsigned char q = static_cast<unsigned char>(in_[pos_++]);
          if (q < 32 || q > 126) return false;
          out += static_cast<char>(q);
        } else if (is_qtext(c)) {
          out += static_cast<char>(c);
        } else if (size_t n = utf8_at(pos_ - 1)) {
          out.append(in_.substr(pos_ - 1, n));
          pos_ += n - 1;
        } else {
          return false;
        }
      }
      return false;  // unterminated quoted string
    }
    // Dot-string = Atom *("." Atom): no leading, trailing or double dots.
    while (true) {
      size_t start = pos_;
      while (!at_end()) {
        if (is_atext(static_cast<unsigned char>(in_[pos_]))) {
          ++pos_;
        } else if (size_t n = utf8_at(pos_)) {
          pos_ += n;
        } else {
          break;
        }
      }
      if (pos_ == start) return false;
      out.append(in_.substr(start, pos_ - start));
      if (peek() != '.') return true;
      out += '.';
      ++pos_;
    }
  }

  // Set by domain(): the last domain had the root label's trailing dot.
  bool root_dot = false;

  // Domain or address-literal. A single trailing dot is tolerated (the
  // root label; some clients send FQDNs that way) and not copied to out.
  bool domain(std::string& out) {
    root_dot = false;
    if (peek() == '[') return literal(out);
    size_t start = pos_;
    while (true) {
      size_t label = pos_;
      while (!at_end()) {
        if (is_let_dig(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '-') {
          ++pos_;
        } else if (size_t n = utf8_at(pos_)) {
          pos_ += n;  // a U-label (RFC 6531 section 3.3)
        } else {
          break;
        }
      }
      size_t len = pos_ - label;
      // sub-domain = Let-dig [Ldh-str]: no hyphen at either end.
      if (len == 0 || in_[label] == '-' || in_[pos_ - 1] == '-') return false;
      if (len > kLabelMax) return false;
      if (peek() != '.') break;
      ++pos_;
      if (at_end() || !(is_let_dig(static_cast<unsigned char>(in_[pos_])) || utf8_at(pos_))) {
        // The dot was the last character of the domain: strip it.
        out.append(in_.substr(start, pos_ - 1 - start));
        root_dot = true;
        return true;
      }
    }
    out.append(in_.substr(start, pos_ - start));
    return true;
  }

 private:
  // The UTF-8 sequence at i when UTF-8 is allowed, else 0.
  size_t utf8_at(size_t i) const { return utf8_ ? utf8_sequence(in_.substr(i)) : 0; }

  bool literal(std::string& out) {
    size_t start = pos_;
    size_t close = in_.find(']', pos_);
    if (close == std::string_view::npos) return false;
    std::string_view body = in_.substr(pos_ + 1, close - pos_ - 1);
    if (str::istarts_with(body, "IPv6:")) {
      std::string v6(body.substr(5));
      in6_addr a;
      if (v6.empty() || inet_pton(AF_INET6, v6.c_str(), &a) != 1) return false;
    } else if (!ipv4_literal_ok(body)) {
      // General-address-literal (Standardized-tag ":" dcontent) has no
      // registered tags: nothing could ever route to one.
      return false;
    }
    pos_ = close + 1;
    out.append(in_.substr(start, pos_ - start));
    return true;
  }

  std::string_view in_;
  size_t pos_;
  bool utf8_;
};

}  // namespace

std::string Address::domain_lower() const { return str::lower(domain); }

bool Address::is_ascii() const {
  for (unsigned char c : local + domain)
    if (c >= 0x80) return false;
  return true;
}

bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = '\0';
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) {
      return false;
    }
    prev = c;
  }
  return valid_utf8(s);
}

std::string Address::text() const {
  if (is_null) return "";
  std::string out;
  if (is_dot_string(local)) {
    out = local;
  } else {
    out += '"';
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  if (!domain.empty()) {
    out += '@';
    out += domain;
  }
  return out;
}

namespace {

Result<PathResult> parse(std::string_view arg, const PathOptions& opts, bool path_limit) {
  size_t pos = 0;
  if (!opts.strict_brackets)
    while (pos < arg.size() && is_space(arg[pos])) ++pos;
  const size_t path_start = pos;
  Parser p(arg, pos, opts.allow_utf8);
  const bool bracketed = p.eat('<');
  if (!bracketed && opts.strict_brackets) return malformed();

  PathResult r;
  if (bracketed && p.eat('>')) {
    if (!opts.allow_null) return Error{"null"};
    r.address.is_null = true;
  } else {
    // A-d-l = At-domain *( "," At-domain ) ":"  -- RFC 5321 section 4.1.2 says
    // servers MUST accept and SHOULD ignore source routes; routing on them
    // would make this an open relay.
    if (p.peek() == '@') {
      while (true) {
        std::string ignored;
        if (!p.eat('@') || !p.domain(ignored)) return malformed();
        if (ignored.size() > kDomainMax) return too_long();
        if (p.eat(',')) continue;
        if (p.eat(':')) break;
        return malformed();
      }
    }
    const size_t local_start = p.pos();
    if (!p.local_part(r.address.local)) return malformed();
    size_t local_len = p.pos() - local_start;
    if (p.eat('@')) {
      if (!p.domain(r.address.domain)) return malformed();
      if (r.address.domain.size() > kDomainMax) return too_long();
      while (opts.allow_routed_at && p.peek() == '@') {
        p.eat('@');
        r.address.local += "@" + r.address.domain;
        r.address.domain.clear();
        if (!p.domain(r.address.domain)) return malformed();
        if (r.address.domain.size() > kDomainMax) return too_long();
      }
    }
    r.address.root_dot = !r.address.domain.empty() && p.root_dot;
    if (bracketed && !p.eat('>')) return malformed();
    if (r.address.local.size() > local_len) local_len = r.address.local.size();
    if (local_len > kLocalAcceptMax) return too_long();
  }
  // The path must be followed by nothing or by white space and parameters.
  if (!p.at_end() && !is_space(p.peek())) return malformed();
  size_t path_len = p.pos() - path_start + (bracketed ? 0 : 2);
  if (path_limit && path_len > kPathMax) return too_long();
  if (!r.address.is_null && r.address.domain.empty() && !opts.allow_unqualified)
    return Error{"unqualified"};

  size_t rest = p.pos();
  while (rest < arg.size() && is_space(arg[rest])) ++rest;
  r.params = arg.substr(rest);
  return r;
}

}  // namespace

Result<PathResult> parse_path(std::string_view arg, const PathOptions& opts) {
  return parse(arg, opts, true);
}

Result<Address> parse_mailbox(std::string_view text, bool allow_unqualified) {
  if (text.empty() || is_space(text.front()) || text.front() == '<') return malformed();
  PathOptions opts;
  opts.allow_unqualified = allow_unqualified;
  opts.allow_utf8 = true;  // what smtpd accepted with SMTPUTF8 is read back
  auto r = parse(text, opts, false);
  if (!r) return r.error();
  // The whole input is the mailbox: no parameters, no trailing white space.
  if (!r->params.empty() || is_space(text.back())) return malformed();
  return std::move(r->address);
}

std::string_view strip_extension(std::string_view local, std::string_view delimiters) {
  if (delimiters.empty() || local.size() < 2) return local;
  size_t at = local.find_first_of(delimiters, 1);
  return at == std::string_view::npos ? local : local.substr(0, at);
}

}  // namespace buzon::address
