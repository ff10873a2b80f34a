#include <catch2/catch.hpp>

#include <string>

#include "cli/header_block.h"

using namespace buzon::cli;
using End = HeaderBlock::End;

namespace {

HeaderBlock read(const std::string& in, size_t limit = 102400, bool dot_ends = true, size_t chunk = 65536) {
  StringSource src(in, chunk);
  auto hb = read_header_block(src, limit, dot_ends);
  INFO(in);
  REQUIRE(hb);
  return std::move(*hb);
}

}  // namespace

TEST_CASE("header: fields up to the empty line, the rest stays unread", "[header]") {
  for (size_t chunk : {1, 3, 65536}) {
    auto hb = read("To: a@x\r\nSubject: hi\n\nbody\nmore\n", 102400, true, chunk);
    REQUIRE(hb.fields.size() == 2);
    CHECK(hb.fields[0].name == "To");
    CHECK(hb.fields[0].raw == "To: a@x");
    CHECK(hb.fields[1].raw == "Subject: hi");
    CHECK(hb.end == End::Blank);
    // rest holds what was read beyond the header: the body's first bytes.
    std::string body = "body\nmore\n";
    CHECK(body.rfind(hb.rest, 0) == 0);
    CHECK(hb.rest.size() < chunk + 1);
    if (chunk == 65536) CHECK(hb.rest == body);
  }
}

TEST_CASE("header: continuation lines belong to the field and unfold", "[header]") {
  auto hb = read("To: a@x,\n\tb@y,\r\n  Carol <c@z>\nX: 1\n\n");
  REQUIRE(hb.fields.size() == 2);
  CHECK(hb.fields[0].raw == "To: a@x,\n\tb@y,\n  Carol <c@z>");
  CHECK(hb.fields[0].unfolded_body() == "a@x,\tb@y,  Carol <c@z>");
  CHECK(hb.find("x")->unfolded_body() == "1");
  CHECK(hb.find("to") == &hb.fields[0]);
  CHECK(hb.find("Cc") == nullptr);
}

TEST_CASE("header: a non-header line starts the body", "[header]") {
  auto hb = read("Subject: x\nthis is body text\nline 2\n");
  REQUIRE(hb.fields.size() == 1);
  CHECK(hb.end == End::Body);
  CHECK(hb.rest == "this is body text\nline 2\n");
  auto none = read("just a body\n");
  CHECK(none.fields.empty());
  CHECK(none.end == End::Body);
  CHECK(none.rest == "just a body\n");
  // Leading white space with no field before it is body, not continuation.
  auto ws = read("  indented\n");
  CHECK(ws.fields.empty());
  CHECK(ws.end == End::Body);
}

TEST_CASE("header: field names (RFC 5322 3.6.8, obsolete space before ':')", "[header]") {
  CHECK(field_name("Subject: x") == "Subject");
  CHECK(field_name("Subject : x") == "Subject");
  CHECK(field_name("X-Spam-Flag:") == "X-Spam-Flag");
  CHECK_FALSE(field_name(": x"));
  CHECK_FALSE(field_name("Two words: x"));
  CHECK_FALSE(field_name("no colon"));
  CHECK_FALSE(field_name(""));
  CHECK_FALSE(field_name("N\xc3\xa4me: x"));
}

TEST_CASE("header: an mbox From_ line at the start is dropped", "[header]") {
  auto hb = read("From alice@x Mon Jan  1 00:00:00 2024\nSubject: s\n\nb\n");
  REQUIRE(hb.fields.size() == 1);
  CHECK(hb.fields[0].name == "Subject");
  // Only the first line: a later "From " line is body.
  auto later = read("Subject: s\nFrom me\n");
  CHECK(later.end == End::Body);
  CHECK(later.rest == "From me\n");
}

TEST_CASE("header: end of input and the lone dot", "[header]") {
  auto eof = read("Subject: no body");
  REQUIRE(eof.fields.size() == 1);
  CHECK(eof.fields[0].raw == "Subject: no body");
  CHECK(eof.end == End::Eof);
  CHECK(read("").end == End::Eof);

  auto dot = read("Subject: s\n.\nTo: not-a-header-any-more@x\n");
  CHECK(dot.end == End::Dot);
  CHECK(dot.fields.size() == 1);
  CHECK(dot.rest.empty());
  CHECK(read("Subject: s\r\n.\r\n").end == End::Dot);

  // With -i the dot is the first body line.
  auto i = read("Subject: s\n.\nmore\n", 102400, false);
  CHECK(i.end == End::Body);
  CHECK(i.rest == ".\nmore\n");
}

TEST_CASE("header: header_size_limit at the limit and one byte over", "[header][limit]") {
  std::string h = "Subject: " + std::string(100, 'x') + "\n";  // 110 bytes
  std::string msg = h + "\nbody\n";
  auto at = read(msg, h.size());
  CHECK(at.fields.size() == 1);
  CHECK(at.end == End::Blank);

  StringSource over(msg);
  auto r = read_header_block(over, h.size() - 1, true);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "message header exceeds header_size_limit (109 bytes)");
  CHECK(r.error().sys_errno == 0);

  // A field too long to finish within the limit, in small reads.
  StringSource huge("X: " + std::string(1000, 'y'), 7);
  CHECK_FALSE(read_header_block(huge, 500, true));
  // A continuation that does not fit.
  StringSource cont("X: 1\n " + std::string(1000, 'y') + "\n", 7);
  CHECK_FALSE(read_header_block(cont, 500, true));
}

TEST_CASE("header: a long first body line is not counted against the header", "[header][limit]") {
  std::string body_line = "this line has spaces so it cannot be a field " + std::string(5000, 'b');
  auto hb = read("Subject: s\n" + body_line + "\n", 100, true, 64);
  CHECK(hb.end == End::Body);
  CHECK(hb.rest.substr(0, 20) == body_line.substr(0, 20));
}

TEST_CASE("header: read errors are passed on", "[header]") {
  struct Failing : ByteSource {
    buzon::Result<size_t> read(char*, size_t) override {
      errno = EIO;
      return buzon::sys_error("read");
    }
  } src;
  auto r = read_header_block(src, 100, true);
  REQUIRE_FALSE(r);
  CHECK(r.error().sys_errno == EIO);
}
