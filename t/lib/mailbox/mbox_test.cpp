#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/mailbox/mbox.h"

using namespace buzon;
using namespace buzon::mailbox;

namespace {

Result<std::vector<MboxMessage>> scan(const std::string& text) {
  char tmpl[] = "/tmp/buzon-mbox-XXXXXX";
  int raw = ::mkstemp(tmpl);
  REQUIRE(raw >= 0);
  Fd fd(raw);
  ::unlink(tmpl);
  REQUIRE(file::write_all(fd.get(), text));
  return scan_mbox(fd.get(), static_cast<off_t>(text.size()));
}

std::string slice(const std::string& text, const MboxMessage& m) {
  return text.substr(static_cast<size_t>(m.start), static_cast<size_t>(m.end - m.start));
}

}  // namespace

TEST_CASE("mbox: messages as local(8) writes them", "[mailbox][mbox]") {
  std::string text =
      "From alice@example.org  Sun Nov 29 04:00:00 2026\n"
      "Subject: one\n\nbody\n\nmore\n\n"
      "From bob@example.org  Sun Nov 29 04:01:00 2026\n"
      "Subject: two\n\n>From the quoted line\n\n";
  auto msgs = scan(text);
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 2);
  CHECK((*msgs)[0].from_line == 0);
  CHECK(slice(text, (*msgs)[0]) == "Subject: one\n\nbody\n\nmore\n");
  CHECK((*msgs)[0].vsize == 25 + 5);  // 25 bytes, 5 LFs
  CHECK(slice(text, (*msgs)[1]) == "Subject: two\n\n>From the quoted line\n");
  CHECK((*msgs)[0].digest.size() == 32);
  CHECK((*msgs)[0].digest != (*msgs)[1].digest);
}

TEST_CASE("mbox: a From line inside a paragraph is content", "[mailbox][mbox]") {
  std::string text = "From a  Sun Nov 29 04:00:00 2026\nSubject: x\n\nline\nFrom here on\n\n";
  auto msgs = scan(text);
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 1);
  CHECK(slice(text, (*msgs)[0]) == "Subject: x\n\nline\nFrom here on\n");
}

TEST_CASE("mbox: the header digest is stable and ignores the body", "[mailbox][mbox]") {
  auto a = scan("From a  Sun Nov 29 04:00:00 2026\nSubject: x\n\nbody one\n\n");
  auto b = scan("From a  Sun Nov 29 05:00:00 2026\nSubject: x\n\nbody two\n\n");
  REQUIRE(a);
  REQUIRE(b);
  CHECK((*a)[0].digest == (*b)[0].digest);
}

TEST_CASE("mbox: edge cases", "[mailbox][mbox]") {
  auto empty = scan("");
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK_FALSE(scan("Subject: not an mbox\n"));
  std::string unterminated = "From a  Sun Nov 29 04:00:00 2026\nSubject: x\n\nno newline";
  auto msgs = scan(unterminated);
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 1);
  CHECK(slice(unterminated, (*msgs)[0]) == "Subject: x\n\nno newline");
  std::string crlf = "From a  Sun Nov 29 04:00:00 2026\r\nSubject: x\r\n\r\nb\r\n\r\n";
  msgs = scan(crlf);
  REQUIRE(msgs);
  CHECK((*msgs)[0].vsize == 17);  // already CRLF: no growth
  std::string longline = "From a  Sun Nov 29 04:00:00 2026\nX: " + std::string(200000, 'a') + "\n\n";
  msgs = scan(longline);
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 1);
  CHECK((*msgs)[0].vsize == 200000 + 4 + 1);
}
