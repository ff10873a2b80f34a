#include "lib/address/address.h"

#include <catch2/catch.hpp>
#include <string>

using namespace buzon;
using address::PathOptions;

namespace {

PathOptions mail_opts() {
  PathOptions o;
  o.allow_null = true;
  return o;
}

PathOptions rcpt_opts() { return PathOptions{}; }

std::string err(std::string_view arg, const PathOptions& o = rcpt_opts()) {
  auto r = address::parse_path(arg, o);
  return r ? std::string("ok") : r.error().message;
}

address::Address ok(std::string_view arg, const PathOptions& o = rcpt_opts()) {
  auto r = address::parse_path(arg, o);
  INFO(arg);
  REQUIRE(r.ok());
  return r->address;
}

}  // namespace

TEST_CASE("address: plain mailbox in angle brackets", "[address]") {
  auto a = ok("<alice@Example.ORG>");
  CHECK(a.local == "alice");
  CHECK(a.domain == "Example.ORG");
  CHECK(a.domain_lower() == "example.org");
  CHECK_FALSE(a.is_null);
  CHECK_FALSE(a.is_literal());
  CHECK(a.text() == "alice@Example.ORG");
}

TEST_CASE("address: null sender only where allowed", "[address]") {
  auto r = address::parse_path("<>", mail_opts());
  REQUIRE(r.ok());
  CHECK(r->address.is_null);
  CHECK(r->address.text().empty());
  CHECK(r->params.empty());
  CHECK(err("<>") == "null");
  auto p = address::parse_path("<> SIZE=10", mail_opts());
  REQUIRE(p.ok());
  CHECK(p->params == "SIZE=10");
}

TEST_CASE("address: parameters after the path", "[address]") {
  auto r = address::parse_path("<a@b.example> SIZE=100 BODY=8BITMIME", mail_opts());
  REQUIRE(r.ok());
  CHECK(r->address.text() == "a@b.example");
  CHECK(r->params == "SIZE=100 BODY=8BITMIME");
  // Something glued to the closing bracket is not a parameter.
  CHECK(err("<a@b.example>SIZE=1") == "malformed");
}

TEST_CASE("address: missing angle brackets (Postfix leniency)", "[address]") {
  auto r = address::parse_path("bob@example.org SIZE=5", mail_opts());
  REQUIRE(r.ok());
  CHECK(r->address.text() == "bob@example.org");
  CHECK(r->params == "SIZE=5");
  // White space after the colon is tolerated too.
  CHECK(ok(" \t<bob@example.org>").text() == "bob@example.org");
  CHECK(ok("  bob@example.org").text() == "bob@example.org");
}

TEST_CASE("address: strict_rfc821_envelopes requires brackets and no space", "[address]") {
  PathOptions o;
  o.strict_brackets = true;
  CHECK(err("bob@example.org", o) == "malformed");
  CHECK(err(" <bob@example.org>", o) == "malformed");
  CHECK(err("<bob@example.org>", o) == "ok");
}

TEST_CASE("address: quoted local parts", "[address]") {
  auto a = ok("<\"a b\"@example.org>");
  CHECK(a.local == "a b");
  CHECK(a.text() == "\"a b\"@example.org");

  auto q = ok("<\"a\\\"b\\\\c\"@example.org>");  // "a\"b\\c"
  CHECK(q.local == "a\"b\\c");
  CHECK(q.text() == "\"a\\\"b\\\\c\"@example.org");

  // A quoted local part that is a valid Dot-string is canonicalised unquoted.
  CHECK(ok("<\"john.doe\"@example.org>").text() == "john.doe@example.org");
  // Quoted-pair of an ordinary character.
  CHECK(ok("<\"\\a\"@x.example>").local == "a");
  // A '>' inside quotes does not close the path.
  auto g = ok("<\"a>b\"@example.org>");
  CHECK(g.local == "a>b");
  // Without brackets, white space inside quotes does not end the path.
  auto r = address::parse_path("\"a b\"@example.org SIZE=1", mail_opts());
  REQUIRE(r.ok());
  CHECK(r->address.local == "a b");
  CHECK(r->params == "SIZE=1");
  // The empty quoted string is a valid local part.
  CHECK(ok("<\"\"@example.org>").text() == "\"\"@example.org");
}

TEST_CASE("address: malformed quoted local parts", "[address]") {
  CHECK(err("<\"abc@example.org>") == "malformed");     // unterminated
  CHECK(err("<\"a\\\"@example.org>") == "malformed");   // escaped closing quote
  CHECK(err("<\"a\tb\"@example.org>") == "malformed");  // TAB is not qtextSMTP
  CHECK(err(std::string("<\"a\\\x01\"@x.example>")) == "malformed");  // quoted-pair of a control
  CHECK(err("<\"a\"b@example.org>") == "malformed");    // quoted string then atom
}

TEST_CASE("address: dot-atom local parts", "[address]") {
  CHECK(ok("<first.last@example.org>").local == "first.last");
  CHECK(ok("<a!#$%&'*+-/=?^_`{|}~@example.org>").local == "a!#$%&'*+-/=?^_`{|}~");
  CHECK(err("<.a@example.org>") == "malformed");
  CHECK(err("<a.@example.org>") == "malformed");
  CHECK(err("<a..b@example.org>") == "malformed");
  CHECK(err("<a b@example.org>") == "malformed");
  CHECK(err("<a(b)@example.org>") == "malformed");
  CHECK(err("<a,b@example.org>") == "malformed");
  CHECK(err("<@example.org>") == "malformed");
  CHECK(err("<\xc3\xa9@example.org>") == "malformed");  // 8-bit: no SMTPUTF8
}

TEST_CASE("address: percent and bang are just local parts", "[address]") {
  auto a = ok("<user%other.example@example.org>");
  CHECK(a.local == "user%other.example");
  CHECK(a.domain == "example.org");
  auto b = address::parse_path("<host!user>", PathOptions{.allow_unqualified = true});
  REQUIRE(b.ok());
  CHECK(b->address.local == "host!user");
  CHECK(b->address.domain.empty());
}

TEST_CASE("address: domains", "[address]") {
  CHECK(ok("<a@mx-1.example.org>").domain == "mx-1.example.org");
  CHECK(ok("<a@localhost>").domain == "localhost");
  CHECK(ok("<a@3com.example>").domain == "3com.example");
  // Trailing dot tolerated and stripped, with and without brackets.
  CHECK(ok("<a@example.org.>").domain == "example.org");
  CHECK(ok("a@example.org.").domain == "example.org");
  CHECK(err("<a@example.org..>") == "malformed");
  CHECK(err("<a@.example.org>") == "malformed");
  CHECK(err("<a@.>") == "malformed");
  CHECK(err("<a@>") == "malformed");
  CHECK(err("<a@-x.example>") == "malformed");
  CHECK(err("<a@x-.example>") == "malformed");
  CHECK(err("<a@x_y.example>") == "malformed");
  CHECK(err("<a@x..example>") == "malformed");
  CHECK(err("<a@b@c.example>") == "malformed");
  CHECK(err("<a@example.org") == "malformed");  // no closing bracket
  CHECK(err("a@example.org>") == "malformed");  // stray closing bracket
}

TEST_CASE("address: address literals", "[address]") {
  auto a = ok("<a@[192.0.2.1]>");
  CHECK(a.domain == "[192.0.2.1]");
  CHECK(a.is_literal());
  CHECK(ok("<a@[010.000.002.001]>").domain == "[010.000.002.001]");
  auto b = ok("<a@[IPv6:2001:DB8::1]>");
  CHECK(b.domain == "[IPv6:2001:DB8::1]");
  CHECK(b.domain_lower() == "[ipv6:2001:db8::1]");
  CHECK(ok("<a@[ipv6:::ffff:192.0.2.1]>").is_literal());
  CHECK(err("<a@[256.0.0.1]>") == "malformed");
  CHECK(err("<a@[1.2.3]>") == "malformed");
  CHECK(err("<a@[1.2.3.4.5]>") == "malformed");
  CHECK(err("<a@[1.2.3.4>") == "malformed");
  CHECK(err("<a@[1234.2.3.4]>") == "malformed");
  CHECK(err("<a@[IPv6:2001:db8::g]>") == "malformed");
  CHECK(err("<a@[IPv6:]>") == "malformed");
  CHECK(err("<a@[x-tag:abc]>") == "malformed");  // general literal: no registered tags
  CHECK(err("<a@[]>") == "malformed");
}

TEST_CASE("address: source routes are accepted and dropped", "[address]") {
  auto a = ok("<@relay1.example,@relay2.example:user@example.org>");
  CHECK(a.local == "user");
  CHECK(a.domain == "example.org");
  CHECK(ok("<@relay.example:user@example.org>").text() == "user@example.org");
  CHECK(err("<@relay.example user@example.org>") == "malformed");
  CHECK(err("<@relay.example,user@example.org>") == "malformed");
  CHECK(err("<@:user@example.org>") == "malformed");
  CHECK(err("<@relay.example,:user@example.org>") == "malformed");
}

TEST_CASE("address: unqualified names only on request", "[address]") {
  CHECK(err("<postmaster>") == "unqualified");
  auto r = address::parse_path("<Postmaster>", PathOptions{.allow_unqualified = true});
  REQUIRE(r.ok());
  CHECK(r->address.local == "Postmaster");
  CHECK(r->address.domain.empty());
  CHECK(r->address.text() == "Postmaster");
}

TEST_CASE("address: malformed paths", "[address]") {
  CHECK(err("") == "malformed");
  CHECK(err("   ") == "malformed");
  CHECK(err("<") == "malformed");
  CHECK(err(">") == "malformed");
  CHECK(err("<<a@b.example>>") == "malformed");
  CHECK(err("<a@b.example> <c@d.example>") == "ok");  // second is "params"; smtpd rejects it
  CHECK(err(std::string("<a@b.example\0>", 14)) == "malformed");
  CHECK(err("<a@b.example\r>") == "malformed");
}

TEST_CASE("address: local parts over RFC 5321's 64 octets are accepted, as Postfix does", "[address][limits]") {
  // SRS/VERP senders routinely exceed 64 octets; refusing them loses mail.
  std::string l65(address::kLocalMax + 1, 'l');
  CHECK(err("<" + l65 + "@example.org>") == "ok");
  std::string srs = "SRS0=HHH=TT=lists.example.org=" + std::string(80, 'u');
  auto r = address::parse_path("<" + srs + "@forwarder.example>", {});
  REQUIRE(r.ok());
  CHECK(r->address.local == srs);
}

TEST_CASE("address: local part limit 254 at limit and limit+1", "[address][limits]") {
  // A path cannot hold more than kPathMax - 2 octets of local part (an
  // unqualified one, local submission), so that is where the path rule and
  // the local part rule meet.
  std::string l254(address::kLocalAcceptMax, 'l');
  address::PathOptions unq;
  unq.allow_unqualified = true;
  CHECK(address::parse_path("<" + l254 + ">", unq).ok());
  CHECK(address::parse_path("<" + l254 + "l>", unq).error().message == "too long");
  // Counted as written: the quotes are part of the local part.
  std::string q252(address::kLocalAcceptMax - 2, 'q');
  CHECK(address::parse_path("<\"" + q252 + "\">", unq).ok());
  CHECK(address::parse_path("<\"" + q252 + "q\">", unq).error().message == "too long");
  // A bare mailbox (queue files) has no path: the local part rule itself.
  CHECK(address::parse_mailbox(l254 + "@example.org").ok());
  CHECK(address::parse_mailbox(l254 + "l@example.org").error().message == "too long");
}

namespace {
// A domain of exactly n octets: labels of nine octets, the last one of one
// to ten octets (all well under the 63-octet label limit).
std::string domain_of(size_t n) {
  std::string d;
  while (n - d.size() > 10) d += "ddddddddd.";
  d += std::string(n - d.size(), 'd');
  return d;
}
}  // namespace

TEST_CASE("address: domain limit 255 at limit and limit+1", "[address][limits]") {
  std::string d255 = domain_of(address::kDomainMax);
  std::string d256 = domain_of(address::kDomainMax + 1);
  REQUIRE(d255.size() == 255);
  REQUIRE(d256.size() == 256);
  // In a path, the 256-octet path limit always bites first; a bare mailbox
  // has no path, so the domain rule itself is visible there.
  CHECK(address::parse_mailbox("a@" + d255).ok());
  CHECK(address::parse_mailbox("a@" + d256).error().message == "too long");
  CHECK(address::parse_mailbox("a@" + d255 + ".").ok());  // root dot is not counted
  CHECK(err("<@" + d255 + ":a@b.example>") == "too long");
}

TEST_CASE("address: label limit 63 at limit and limit+1", "[address][limits]") {
  std::string l63(address::kLabelMax, 'x');
  CHECK(err("<a@" + l63 + ".example>") == "ok");
  CHECK(err("<a@" + l63 + "x.example>") == "malformed");
}

TEST_CASE("address: path limit 256 at limit and limit+1", "[address][limits]") {
  // "<" + local(64) + "@" + domain + ">" == 256 -> domain of 189 octets.
  std::string local(address::kLocalMax, 'l');
  std::string d189 = domain_of(256 - 3 - local.size());
  std::string d190 = domain_of(256 - 3 - local.size() + 1);
  REQUIRE(d189.size() == 189);
  std::string at = "<" + local + "@" + d189 + ">";
  REQUIRE(at.size() == address::kPathMax);
  CHECK(err(at) == "ok");
  CHECK(err("<" + local + "@" + d190 + ">") == "too long");
  // Without brackets the same address counts the same.
  CHECK(err(local + "@" + d189) == "ok");
  CHECK(err(local + "@" + d190) == "too long");
  // The trailing dot and the parameters do not matter for the domain, but the
  // dot is part of the path as written.
  CHECK(err("<" + local + "@" + d189 + ".>") == "too long");
}

TEST_CASE("address: a trailing root dot is dropped from the domain and remembered", "[address]") {
  address::PathOptions opts;
  auto a = address::parse_path("<user@Example.ORG.>", opts);
  REQUIRE(a.ok());
  CHECK(a->address.domain == "Example.ORG");
  CHECK(a->address.root_dot);
  auto b = address::parse_path("<user@example.org>", opts);
  REQUIRE(b.ok());
  CHECK_FALSE(b->address.root_dot);
  auto c = address::parse_path("<@relay.example.:user@example.org>", opts);  // a source route's dot only
  REQUIRE(c.ok());
  CHECK_FALSE(c->address.root_dot);
  CHECK_FALSE(address::parse_path("<user@example.org..>", opts).ok());
}

TEST_CASE("address: parse_mailbox takes the whole input", "[address]") {
  auto a = address::parse_mailbox("\"a b\"@example.org");
  REQUIRE(a.ok());
  CHECK(a->local == "a b");
  CHECK_FALSE(address::parse_mailbox("<a@example.org>").ok());
  CHECK_FALSE(address::parse_mailbox("a@example.org x").ok());
  CHECK_FALSE(address::parse_mailbox("a@example.org ").ok());
  CHECK_FALSE(address::parse_mailbox(" a@example.org").ok());
  CHECK_FALSE(address::parse_mailbox("").ok());
  CHECK(address::parse_mailbox("root").error().message == "unqualified");
  CHECK(address::parse_mailbox("root", true).ok());
  // Round trip of the canonical form.
  for (const char* s : {"a@b.example", "\"a b\"@b.example", "\"a\\\"b\"@[192.0.2.1]", "x.y@[IPv6:::1]"}) {
    auto r = address::parse_mailbox(s);
    REQUIRE(r.ok());
    CHECK(r->text() == s);
  }
}

TEST_CASE("address: is_dot_string", "[address]") {
  CHECK(address::is_dot_string("a.b"));
  CHECK_FALSE(address::is_dot_string(""));
  CHECK_FALSE(address::is_dot_string("a..b"));
  CHECK_FALSE(address::is_dot_string(".a"));
  CHECK_FALSE(address::is_dot_string("a b"));
  CHECK_FALSE(address::is_dot_string("a\"b"));
}

TEST_CASE("address: strip_extension", "[address]") {
  CHECK(address::strip_extension("user+ext", "+") == "user");
  CHECK(address::strip_extension("user+a+b", "+") == "user");
  CHECK(address::strip_extension("user-ext+x", "+-") == "user");
  CHECK(address::strip_extension("user", "+") == "user");
  CHECK(address::strip_extension("+user", "+") == "+user");
  CHECK(address::strip_extension("user+ext", "") == "user+ext");
  CHECK(address::strip_extension("+", "+") == "+");
}

TEST_CASE("address: UTF-8 only with allow_utf8 (RFC 6531)", "[address][utf8]") {
  PathOptions u;
  u.allow_utf8 = true;
  const std::string jorg = "j\xC3\xB6rg";             // jörg
  const std::string domain = "b\xC3\xBC" "cher.example";  // bücher.example
  CHECK(err("<" + jorg + "@example.org>") == "malformed");
  CHECK(err("<a@" + domain + ">") == "malformed");
  auto a = ok("<" + jorg + "@" + domain + ">", u);
  CHECK(a.local == jorg);
  CHECK(a.domain == domain);
  CHECK_FALSE(a.is_ascii());
  CHECK(a.text() == jorg + "@" + domain);  // UTF-8 is atext: not quoted
  CHECK(ok("<alice@example.org>", u).is_ascii());
  CHECK(ok("<\"" + jorg + " x\"@example.org>", u).local == jorg + " x");
  CHECK(ok("<\xE4\xB8\xAD@\xE4\xBE\x8B.\xE4\xB8\xAD\xE5\x9B\xBD.>", u).domain == "\xE4\xBE\x8B.\xE4\xB8\xAD\xE5\x9B\xBD");
  // Malformed UTF-8 is malformed even with allow_utf8.
  for (std::string bad : {"\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\x80"}) {
    INFO(Catch::Detail::stringify(bad));
    CHECK(err("<a" + bad + "@example.org>", u) == "malformed");
    CHECK(err("<a@x" + bad + ".example>", u) == "malformed");
  }
  // Queue files are read back with UTF-8 allowed.
  CHECK(address::parse_mailbox(jorg + "@" + domain).ok());
}

TEST_CASE("address: utf8_sequence and valid_utf8", "[address][utf8]") {
  CHECK(address::utf8_sequence("\xC3\xB6x") == 2);
  CHECK(address::utf8_sequence("\xE2\x82\xAC") == 3);
  CHECK(address::utf8_sequence("\xF0\x9F\x98\x80") == 4);
  CHECK(address::utf8_sequence("a") == 0);
  CHECK(address::utf8_sequence("\xE2\x82") == 0);
  CHECK(address::utf8_sequence("\xE0\x80\x80") == 0);  // overlong
  CHECK(address::valid_utf8("plain ascii"));
  CHECK(address::valid_utf8("gr\xC3\xBC\xC3\x9F"));
  CHECK_FALSE(address::valid_utf8("\xC3("));
  CHECK_FALSE(address::valid_utf8("x\xFE"));
}
