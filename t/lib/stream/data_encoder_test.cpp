#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
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

namespace {

// The rules written out line by line, independently of the state machine:
// a line ends at LF, one CR before that LF belongs to the line end, a line
// that starts with '.' gets another, and a last line without LF is ended
// (a CR at its very end taken as the line end); with dot_ends_input a
// line that is exactly "." ends the input.
std::string reference(const std::string& in, bool dot_ends_input) {
  std::string out;
  size_t start = 0;
  while (start < in.size()) {
    size_t lf = in.find('\n', start);
    size_t end = lf == std::string::npos ? in.size() : lf;
    std::string line = in.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (dot_ends_input && line == ".") break;
    if (!line.empty() && line.front() == '.') out += '.';
    out += line + "\r\n";
    start = end + 1;
  }
  return out + ".\r\n";
}

}  // namespace

TEST_CASE("data: random inputs in random chunks match the line-by-line rules", "[data]") {
  // Mostly plain bytes, as in real mail, with dots, CRs and LFs anywhere:
  // the plain runs are copied in one go, the rest byte by byte, and a chunk
  // may end anywhere, inside a CRLF or right after a leading dot.
  const char alphabet[] = {'.', '\r', '\n', 'a', 'b', 'c', 'd', 'e', 'f', 'g'};
  std::mt19937 rng(7);
  for (int round = 0; round < 4000; ++round) {
    bool dot_ends_input = round % 2;
    std::string in(rng() % 200, ' ');
    for (char& c : in) c = alphabet[rng() % sizeof alphabet];
    DataEncoder e(dot_ends_input);
    std::string out;
    for (size_t at = 0; at < in.size();) {
      size_t n = std::min<size_t>(in.size() - at, 1 + rng() % 40);
      e.feed(std::string_view(in).substr(at, n), out);
      at += n;
    }
    e.finish(out);
    INFO("input #" << round);
    REQUIRE(out == reference(in, dot_ends_input));
  }
}
