#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "lib/file/file.h"
#include "pop3d/message_stream.h"

using namespace buzon;
using namespace buzon::pop3d;

namespace {

std::string stream_all(const std::string& content, long lines) {
  char tmpl[] = "/tmp/buzon-pop3-msg-XXXXXX";
  int raw = ::mkstemp(tmpl);
  REQUIRE(raw >= 0);
  Fd fd(raw);
  ::unlink(tmpl);
  REQUIRE(file::write_all(fd.get(), content));
  MessageStream s(MessageRange{std::move(fd)}, lines);
  std::string out;
  for (int guard = 0; guard < 1000; ++guard) {
    auto more = s.next(out);
    REQUIRE(more);
    if (!*more) return out;
  }
  FAIL("stream did not end");
  return out;
}

}  // namespace

TEST_CASE("pop3 stream: RETR converts line ends and byte-stuffs", "[pop3d][stream]") {
  CHECK(stream_all("Subject: x\n\n.hidden\nbody\n", -1) == "Subject: x\r\n\r\n..hidden\r\nbody\r\n.\r\n");
  CHECK(stream_all("a\r\nb", -1) == "a\r\nb\r\n.\r\n");  // no final newline
  CHECK(stream_all("", -1) == ".\r\n");
}

TEST_CASE("pop3 stream: TOP sends the header and n body lines", "[pop3d][stream]") {
  std::string msg = "From: a\nSubject: b\n\n1\n2\n3\n";
  CHECK(stream_all(msg, 0) == "From: a\r\nSubject: b\r\n\r\n.\r\n");
  CHECK(stream_all(msg, 2) == "From: a\r\nSubject: b\r\n\r\n1\r\n2\r\n.\r\n");
  CHECK(stream_all(msg, 100) == "From: a\r\nSubject: b\r\n\r\n1\r\n2\r\n3\r\n.\r\n");
  CHECK(stream_all("From: a\r\n\r\n1\r\n2\r\n", 1) == "From: a\r\n\r\n1\r\n.\r\n");
  CHECK(stream_all("From: a\n", 0) == "From: a\r\n.\r\n");  // no body at all
}

TEST_CASE("pop3 stream: a range of a file (an mbox message)", "[pop3d][stream]") {
  std::string mbox = "From a  Sun Nov 29 04:00:00 2026\nSubject: x\n\nbody\n\nFrom b ...";
  char tmpl[] = "/tmp/buzon-pop3-msg-XXXXXX";
  int raw = ::mkstemp(tmpl);
  REQUIRE(raw >= 0);
  Fd fd(raw);
  ::unlink(tmpl);
  REQUIRE(file::write_all(fd.get(), mbox));
  off_t start = static_cast<off_t>(mbox.find("Subject"));
  off_t end = static_cast<off_t>(mbox.find("\nFrom b")) ;
  MessageStream s(MessageRange{std::move(fd), start, end}, -1);
  std::string out;
  for (int guard = 0; guard < 10; ++guard) {
    auto more = s.next(out);
    REQUIRE(more);
    if (!*more) break;
  }
  CHECK(out == "Subject: x\r\n\r\nbody\r\n.\r\n");
}

TEST_CASE("pop3 stream: large messages go out in bounded chunks", "[pop3d][stream]") {
  std::string big;
  for (int i = 0; i < 40000; ++i) big += "line " + std::to_string(i) + "\n";
  char tmpl[] = "/tmp/buzon-pop3-msg-XXXXXX";
  int raw = ::mkstemp(tmpl);
  REQUIRE(raw >= 0);
  Fd fd(raw);
  ::unlink(tmpl);
  REQUIRE(file::write_all(fd.get(), big));
  MessageStream s(MessageRange{std::move(fd)}, -1);
  std::string all;
  size_t chunks = 0;
  for (;;) {
    std::string out;
    auto more = s.next(out);
    REQUIRE(more);
    CHECK(out.size() <= 2 * MessageStream::kReadSize + 3);
    all += out;
    ++chunks;
    if (!*more) break;
  }
  CHECK(chunks > 4);
  CHECK(all.size() == big.size() + 40000 + 3);
  CHECK(all.substr(all.size() - 10) == "39999\r\n.\r\n");
}

TEST_CASE("pop3 stream: sizes around the read size end exactly once", "[pop3d][stream][limits]") {
  // The stream ends on a short read; a file of exactly kReadSize bytes
  // needs one more read to see its end. Every size must come out whole.
  const size_t k = MessageStream::kReadSize;
  for (size_t size : {k - 1, k, k + 1, 2 * k, 2 * k + 1}) {
    INFO(size);
    std::string msg(size, 'x');
    for (size_t i = 99; i < size; i += 100) msg[i] = '\n';
    size_t lines = static_cast<size_t>(std::count(msg.begin(), msg.end(), '\n'));
    std::string expected_end = msg.back() == '\n' ? "\r\n.\r\n" : "x\r\n.\r\n";
    std::string out = stream_all(msg, -1);
    CHECK(out.size() == size + lines + (msg.back() == '\n' ? 3 : 5));
    CHECK(out.substr(out.size() - expected_end.size()) == expected_end);
  }
}
