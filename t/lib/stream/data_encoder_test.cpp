#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/stream/data_encoder.h"

using namespace buzon::stream;

namespace {

// Encodes in one go and, to test state across chunk boundaries, one byte
// at a time; both must agree.
std::string encode(const std::string& in, bool dot_ends_input) {
  DataEncoder whole(dot_ends_input);
  std::string a;
  whole.feed(in, a);
  whole.finish(a);
  DataEncoder bytes(dot_ends_input);
  std::string b;
  for (char c : in) bytes.feed(std::string(1, c), b);
  bytes.finish(b);
  CHECK(a == b);
  return a;
}

}  // namespace

TEST_CASE("data: LF and CRLF line endings both become CRLF", "[data]") {
  CHECK(encode("a\nb\r\nc\n", false) == "a\r\nb\r\nc\r\n.\r\n");
  CHECK(encode("\n\n", false) == "\r\n\r\n.\r\n");
  CHECK(encode("\r\n\r\n", false) == "\r\n\r\n.\r\n");
}

TEST_CASE("data: a last line without newline is terminated", "[data]") {
  CHECK(encode("no newline", false) == "no newline\r\n.\r\n");
  CHECK(encode("trailing cr\r", false) == "trailing cr\r\n.\r\n");
  CHECK(encode("", false) == ".\r\n");
}

TEST_CASE("data: a CR that is not before LF is data", "[data]") {
  CHECK(encode("a\rb\n", false) == "a\rb\r\n.\r\n");
  CHECK(encode("\rx\n", false) == "\rx\r\n.\r\n");
  CHECK(encode("a\r\r\n", false) == "a\r\r\n.\r\n");
}

TEST_CASE("data: leading dots are doubled (RFC 5321 4.5.2)", "[data]") {
  CHECK(encode(".hidden\n", false) == "..hidden\r\n.\r\n");
  CHECK(encode("..two\n", false) == "...two\r\n.\r\n");
  CHECK(encode("a.b\n.c\n", false) == "a.b\r\n..c\r\n.\r\n");
  CHECK(encode(".\r\n", false) == "..\r\n.\r\n");
  CHECK(encode(".\rx\n", false) == "..\rx\r\n.\r\n");
  CHECK(encode("x\n.", false) == "x\r\n..\r\n.\r\n");
}

TEST_CASE("data: with -i a lone dot is data; without, it ends the input", "[data]") {
  std::string in = "before\n.\nafter\n";
  CHECK(encode(in, false) == "before\r\n..\r\nafter\r\n.\r\n");
  CHECK(encode(in, true) == "before\r\n.\r\n");
  CHECK(encode("before\r\n.\r\nafter\r\n", true) == "before\r\n.\r\n");
  CHECK(encode("x\n.", true) == "x\r\n.\r\n");  // "." at the very end, no newline
  // Only a line that is exactly "." ends it.
  CHECK(encode("..\n.x\n", true) == "...\r\n..x\r\n.\r\n");

  DataEncoder e(true);
  std::string out;
  e.feed("a\n.\n", out);
  CHECK(e.ended());
  e.feed("ignored\n", out);
  CHECK(out == "a\r\n");
}

TEST_CASE("data: SMTP smuggling shapes are neutralised", "[data]") {
  // A bare LF before '.' must not let a client end DATA early on the server
  // side: it is a line end here, so the dot is doubled.
  CHECK(encode("x\n.\r\nMAIL FROM:<a@b>\n", false) == "x\r\n..\r\nMAIL FROM:<a@b>\r\n.\r\n");
}

TEST_CASE("data: long lines stream without being held", "[data]") {
  DataEncoder e(false);
  std::string out;
  std::string chunk(65536, 'x');
  for (int i = 0; i < 16; ++i) {
    out.clear();
    e.feed(chunk, out);
    CHECK(out.size() == chunk.size());  // emitted at once, no buffering
  }
  out.clear();
  e.finish(out);
  CHECK(out == "\r\n.\r\n");
}
