#include <catch2/catch.hpp>

#include "pop3d/command.h"

using namespace buzon::pop3d;

TEST_CASE("pop3 command: keywords and arguments", "[pop3d][command]") {
  auto c = parse_command("retr 12");
  REQUIRE(c);
  CHECK(c->verb == "RETR");
  CHECK(c->args == std::vector<std::string>{"12"});
  c = parse_command("TOP 1 10");
  REQUIRE(c);
  CHECK(c->args.size() == 2);
  c = parse_command("LIST ");  // trailing space, as some clients send
  REQUIRE(c);
  CHECK(c->args.empty());
  c = parse_command("PASS secret with  spaces ");
  REQUIRE(c);
  CHECK(c->args == std::vector<std::string>{"secret with  spaces "});
}

TEST_CASE("pop3 command: malformed lines are refused", "[pop3d][command]") {
  CHECK_FALSE(parse_command(""));
  CHECK_FALSE(parse_command("XY"));
  CHECK_FALSE(parse_command("RETRIEVE 1"));
  CHECK_FALSE(parse_command("RE1R 1"));
  CHECK_FALSE(parse_command("TOP 1 2 3"));                           // more than two arguments
  CHECK_FALSE(parse_command("USER " + std::string(kArgMax + 1, 'a')));  // RFC 2449: 40 octets
  CHECK(parse_command("USER " + std::string(kArgMax, 'a')));
  CHECK_FALSE(parse_command("PASS " + std::string(kCommandLineMax, 'a')));
}

TEST_CASE("pop3 command: message numbers", "[pop3d][command]") {
  CHECK(message_number("1", 3) == 1u);
  CHECK(message_number("3", 3) == 3u);
  CHECK_FALSE(message_number("0", 3));
  CHECK_FALSE(message_number("4", 3));
  CHECK_FALSE(message_number("-1", 3));
  CHECK_FALSE(message_number("1x", 3));
  CHECK_FALSE(message_number("99999999999999999999999", 3));
}
