#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/address_list.h"

using namespace buzon::cli;

namespace {

std::vector<std::string> addrs(const std::string& body) {
  auto r = parse_address_list(body);
  INFO(body);
  REQUIRE(r);
  std::vector<std::string> out;
  for (const auto& m : *r) out.push_back(m.address);
  return out;
}

std::string error_of(const std::string& body) {
  auto r = parse_address_list(body);
  INFO(body);
  REQUIRE_FALSE(r);
  return r.error().message;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("address list: plain, named and angle forms", "[address_list]") {
  CHECK(addrs("a@example.org") == V{"a@example.org"});
  CHECK(addrs("a@example.org, b@example.org") == V{"a@example.org", "b@example.org"});
  CHECK(addrs("Bob <bob@example.org>") == V{"bob@example.org"});
  CHECK(addrs("<bob@example.org>") == V{"bob@example.org"});
  CHECK(addrs("John Q. Public <jqp@example.org>, x@y") == V{"jqp@example.org", "x@y"});
  auto r = parse_address_list("\"Smith, John\" <js@example.org>");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].display_name == "Smith, John");
  CHECK((*r)[0].address == "js@example.org");
}

TEST_CASE("address list: comments are dropped, nested ones too", "[address_list]") {
  CHECK(addrs("a@example.org (Alice)") == V{"a@example.org"});
  CHECK(addrs("(lead) a (x) @ (y) example.org (z (nested) done)") == V{"a@example.org"});
  CHECK(addrs("Bob (the builder) <bob@example.org>") == V{"bob@example.org"});
  CHECK(addrs("a@b (comment with \\) escaped paren)") == V{"a@b"});
}

TEST_CASE("address list: quoted local parts keep their quotes", "[address_list]") {
  CHECK(addrs("\"john doe\"@example.org") == V{"\"john doe\"@example.org"});
  CHECK(addrs("\"a\\\"b\"@x") == V{"\"a\\\"b\"@x"});
  CHECK(addrs("\"a,b\"@x, c@x") == V{"\"a,b\"@x", "c@x"});
  CHECK(addrs("first.last@x") == V{"first.last@x"});
}

TEST_CASE("address list: groups (RFC 5322 3.4)", "[address_list]") {
  CHECK(addrs("undisclosed-recipients:;").empty());
  CHECK(addrs("Team: a@x, Bob <b@x>;") == V{"a@x", "b@x"});
  CHECK(addrs("Team: a@x;, c@x") == V{"a@x", "c@x"});
  CHECK(addrs("c@x, Team: a@x, , b@x;") == V{"c@x", "a@x", "b@x"});
  CHECK(addrs("\"The Team\": a@x;") == V{"a@x"});
}

TEST_CASE("address list: obsolete forms (RFC 5322 4.4)", "[address_list]") {
  CHECK(addrs(", a@x,, b@x,") == V{"a@x", "b@x"});
  CHECK(addrs("<@relay.example,@other.example:a@x>") == V{"a@x"});
  CHECK(addrs("a@[192.0.2.1]") == V{"a@[192.0.2.1]"});
  CHECK(addrs("").empty());
  CHECK(addrs("  (only a comment)  ").empty());
}

TEST_CASE("address list: bare local parts are accepted for @myorigin", "[address_list]") {
  CHECK(addrs("bob") == V{"bob"});
  CHECK(addrs("bob, alice@x") == V{"bob", "alice@x"});
  CHECK(addrs("Bob <bob>") == V{"bob"});
}

TEST_CASE("address list: 8-bit display names and local parts pass", "[address_list]") {
  CHECK(addrs("Bu\xc3\xb1uelo <b@x>") == V{"b@x"});
  CHECK(addrs("\xc3\xb1@x") == V{"\xc3\xb1@x"});
}

TEST_CASE("address list: malformed input is an error, never a guess", "[address_list]") {
  CHECK(error_of("a@x b@x").find("expected ','") != std::string::npos);
  CHECK(error_of("Bob bob@x").find("expected ','") != std::string::npos);
  CHECK(error_of("<a@x").find("expected '>'") != std::string::npos);
  CHECK(error_of("<>").find("empty address") != std::string::npos);
  CHECK(error_of("\"unterminated@x").find("unterminated quoted string") != std::string::npos);
  CHECK(error_of("a@x (open comment").find("unterminated comment") != std::string::npos);
  CHECK(error_of("a@[1.2.3.4").find("unterminated domain literal") != std::string::npos);
  CHECK(error_of("a@x)").find("unexpected ')'") != std::string::npos);
  CHECK(error_of("a@").find("expected domain") != std::string::npos);
  CHECK(error_of("@x").find("expected local part") != std::string::npos);
  CHECK(error_of("a..b@x").find("expected local part") != std::string::npos);
  CHECK(error_of("a@x..y").find("expected domain") != std::string::npos);
  CHECK(error_of("Team: a@x").find("not closed") != std::string::npos);
  CHECK(error_of("A: B: c@x;;").find("group inside a group") != std::string::npos);
  CHECK(error_of(": a@x;").find("group without a name") != std::string::npos);
  CHECK(error_of("a@x;").find("expected ','") != std::string::npos);
  CHECK(error_of("[1.2.3.4] <a@x>").find("display name") != std::string::npos);
  CHECK(error_of("<@relay a@x>").find("bad route") != std::string::npos);
}

TEST_CASE("address list: control characters are refused (header injection)", "[address_list]") {
  CHECK(error_of("a@x\r\nBcc: evil@y").find("control character") != std::string::npos);
  CHECK(error_of("a@x\nb@y").find("control character") != std::string::npos);
  CHECK(error_of(std::string("a@x\0", 4)).find("control character") != std::string::npos);
  CHECK(error_of("\"a\x01\"@x").find("control character") != std::string::npos);
  CHECK(error_of("a@x (\x7f)").find("control character") != std::string::npos);
  CHECK(addrs("a@x,\tb@y") == V{"a@x", "b@y"});  // HTAB is white space
}

TEST_CASE("address list: the error names the offset", "[address_list]") {
  CHECK(error_of("a@x, <b@y") == "malformed address list: expected '>' at offset 9");
}
