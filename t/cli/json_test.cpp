#include <catch2/catch.hpp>

#include <string>

#include "cli/json.h"

using buzon::cli::json_string;

TEST_CASE("json: escapes", "[json]") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json_string("\n\r\t") == "\"\\n\\r\\t\"");
  CHECK(json_string(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\\u007f\"");
  CHECK(json_string(std::string("\0", 1)) == "\"\\u0000\"");
  CHECK(json_string("") == "\"\"");
}

TEST_CASE("json: valid UTF-8 passes, invalid bytes become U+FFFD", "[json]") {
  CHECK(json_string("Bu\xc3\xb1uelo \xe2\x82\xac \xf0\x9f\x93\xab") == "\"Bu\xc3\xb1uelo \xe2\x82\xac \xf0\x9f\x93\xab\"");
  CHECK(json_string("\xff") == "\"\\ufffd\"");
  CHECK(json_string("\xc3") == "\"\\ufffd\"");                // truncated sequence
  CHECK(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");     // overlong '/'
  CHECK(json_string("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  CHECK(json_string("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
  CHECK(json_string("a\xe2\x82z") == "\"a\\ufffd\\ufffdz\"");
}
