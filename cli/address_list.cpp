#include "cli/address_list.h"

#include <cstring>

namespace buzon::cli {
namespace {

// RFC 5322 3.2.3 atext, plus 8-bit bytes (RFC 6532 allows UTF-8 there).
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool is_forbidden_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

enum class Kind { Atom, Quoted, Literal, Special, End };

struct Token {
  Kind kind;
  std::string text;  // Atom: the atom; Quoted: decoded content; Literal: raw "[...]"; Special: the char
  size_t offset;
};

Error malformed(std::string_view why, size_t offset) {
  return Error{"malformed address list: " + std::string(why) + " at offset " + std::to_string(offset)};
}

Result<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (is_forbidden_control(c)) return malformed("control character", i);
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '(') {
      // Comments nest (RFC 5322 3.2.2) and may contain quoted-pairs; they
      // are dropped, but an unbalanced one is an error.
      size_t start = i++;
      int depth = 1;
      while (depth > 0) {
        if (i >= s.size()) return malformed("unterminated comment", start);
        unsigned char d = static_cast<unsigned char>(s[i]);
        if (is_forbidden_control(d)) return malformed("control character", i);
        if (d == '\\') {
          if (++i >= s.size()) return malformed("unterminated comment", start);
          if (is_forbidden_control(static_cast<unsigned char>(s[i]))) return malformed("control character", i);
        } else if (d == '(') {
          ++depth;
        } else if (d == ')') {
          --depth;
        }
        ++i;
      }
    } else if (c == '"') {
      size_t start = i++;
      std::string text;
      for (;;) {
        if (i >= s.size()) return malformed("unterminated quoted string", start);
        unsigned char d = static_cast<unsigned char>(s[i]);
        if (is_forbidden_control(d)) return malformed("control character", i);
        if (d == '"') break;
        if (d == '\\') {
          if (++i >= s.size()) return malformed("unterminated quoted string", start);
          d = static_cast<unsigned char>(s[i]);
          if (is_forbidden_control(d)) return malformed("control character", i);
        }
        text += static_cast<char>(d);
        ++i;
      }
      ++i;
      out.push_back({Kind::Quoted, std::move(text), start});
    } else if (c == '[') {
      size_t start = i++;
      std::string text = "[";
      for (;;) {
        if (i >= s.size()) return malformed("unterminated domain literal", start);
        unsigned char d = static_cast<unsigned char>(s[i]);
        if (is_forbidden_control(d)) return malformed("control character", i);
        if (d == '[' || d == '\\') return malformed("bad character in domain literal", i);
        text += static_cast<char>(d);
        ++i;
        if (d == ']') break;
      }
      out.push_back({Kind::Literal, std::move(text), start});
    } else if (is_atext(c)) {
      size_t start = i;
      while (i < s.size() && is_atext(static_cast<unsigned char>(s[i]))) ++i;
      out.push_back({Kind::Atom, std::string(s.substr(start, i - start)), start});
    } else if (std::strchr("<>:;@,.", c) != nullptr) {
      out.push_back({Kind::Special, std::string(1, static_cast<char>(c)), i});
      ++i;
    } else {
      // ')', ']' or '\' outside of their constructs.
      return malformed(std::string("unexpected '") + static_cast<char>(c) + "'", i);
    }
  }
  out.push_back({Kind::End, "", s.size()});
  return out;
}

std::string quote(std::string_view content) {
  std::string out = "\"";
  for (char c : content) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Result<std::vector<Mailbox>> list() {
    std::vector<Mailbox> out;
    for (;;) {
      if (at_special(",")) {  // empty element (RFC 5322 4.4 obs-addr-list)
        ++i_;
        continue;
      }
      if (cur().kind == Kind::End) return out;
      if (auto s = element(out, /*in_group=*/false); !s) return s.error();
      if (cur().kind == Kind::End) return out;
      if (!at_special(",")) return malformed("expected ','", cur().offset);
      ++i_;
    }
  }

 private:
  const Token& cur() const { return t_[i_]; }
  bool at_special(const char* c) const { return cur().kind == Kind::Special && cur().text == c; }

  // What follows at the current position: the first structural token decides.
  Kind scan_kind(std::string& which) const {
    for (size_t j = i_; j < t_.size(); ++j) {
      if (t_[j].kind == Kind::End) break;
      if (t_[j].kind == Kind::Special && t_[j].text != ".") {
        which = t_[j].text;
        return Kind::Special;
      }
    }
    which.clear();
    return Kind::End;
  }

  Status element(std::vector<Mailbox>& out, bool in_group) {
    std::string which;
    scan_kind(which);
    if (which == "<") {
      auto name = phrase();
      if (!name) return name.error();
      auto addr = angle_addr();
      if (!addr) return addr.error();
      out.push_back({std::move(*name), std::move(*addr)});
      return {};
    }
    if (which == ":") {
      if (in_group) return malformed("group inside a group", cur().offset);
      return group(out);
    }
    auto addr = addr_spec();
    if (!addr) return addr.error();
    out.push_back({"", std::move(*addr)});
    return {};
  }

  // display-name ":" [group-list] ";" (RFC 5322 3.4)
  Status group(std::vector<Mailbox>& out) {
    size_t start = cur().offset;
    auto name = phrase();
    if (!name) return name.error();
    if (name->empty()) return malformed("group without a name", start);
    ++i_;  // ':'
    for (;;) {
      if (at_special(",")) {
        ++i_;
        continue;
      }
      if (at_special(";")) {
        ++i_;
        return {};
      }
      if (cur().kind == Kind::End) return malformed("group not closed with ';'", cur().offset);
      if (auto s = element(out, /*in_group=*/true); !s) return s;
      if (cur().kind == Kind::End) return malformed("group not closed with ';'", cur().offset);
      if (!at_special(",") && !at_special(";"))
        return malformed("expected ',' or ';' in group", cur().offset);
    }
  }

  // phrase = 1*word, obs-phrase also allows '.'; empty is allowed here and
  // checked by the caller.
  Result<std::string> phrase() {
    std::string out;
    while (cur().kind == Kind::Atom || cur().kind == Kind::Quoted || at_special(".")) {
      if (at_special(".")) {
        out += '.';
      } else {
        if (!out.empty() && out.back() != '.') out += ' ';
        out += cur().text;
      }
      ++i_;
    }
    if (cur().kind != Kind::Special || (cur().text != "<" && cur().text != ":"))
      return malformed("unexpected token in display name", cur().offset);
    return out;
  }

  // "<" [obs-route] addr-spec ">"
  Result<std::string> angle_addr() {
    size_t start = cur().offset;
    ++i_;  // '<'
    if (at_special(">")) return malformed("empty address <>", start);
    if (at_special("@") || at_special(",")) {
      // obs-route: "@a,@b:" is source routing, ignored (RFC 5321 C).
      for (;;) {
        if (at_special(",")) {
          ++i_;
        } else if (at_special("@")) {
          ++i_;
          if (auto d = domain(); !d) return d.error();
        } else {
          break;
        }
      }
      if (!at_special(":")) return malformed("bad route in angle address", cur().offset);
      ++i_;
    }
    auto addr = addr_spec();
    if (!addr) return addr;
    if (!at_special(">")) return malformed("expected '>'", cur().offset);
    ++i_;
    return addr;
  }

  // local-part ["@" domain]; the domain is optional as in Postfix, so that
  // "To: bob" means bob@$myorigin.
  Result<std::string> addr_spec() {
    std::string out;
    for (;;) {
      if (cur().kind == Kind::Atom) out += cur().text;
      else if (cur().kind == Kind::Quoted) out += quote(cur().text);
      else return malformed("expected local part", cur().offset);
      ++i_;
      if (!at_special(".")) break;
      out += '.';
      ++i_;
    }
    if (at_special("@")) {
      ++i_;
      auto d = domain();
      if (!d) return d;
      out += '@';
      out += *d;
    }
    return out;
  }

  Result<std::string> domain() {
    if (cur().kind == Kind::Literal) return t_[i_++].text;
    std::string out;
    for (;;) {
      if (cur().kind != Kind::Atom) return malformed("expected domain", cur().offset);
      out += cur().text;
      ++i_;
      if (!at_special(".")) return out;
      out += '.';
      ++i_;
    }
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

}  // namespace

Result<std::vector<Mailbox>> parse_address_list(std::string_view field_body) {
  auto toks = tokenize(field_body);
  if (!toks) return toks.error();
  Parser p(std::move(*toks));
  return p.list();
}

}  // namespace buzon::cli
