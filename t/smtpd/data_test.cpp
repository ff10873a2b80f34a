#include "smtpd/data.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace buzon;
using smtpd::DataReader;
using smtpd::DataSummary;

namespace {

struct Run {
  size_t consumed = 0;
  bool done = false;
  std::string stored;
  DataSummary sum;
  std::vector<size_t> chunks;  // sizes the sink received
  bool sink_error = false;
};

// Feeds input in pieces of chunk bytes (0: all at once) until the reader is
// done or the input is used up.
Run run(std::string_view input, size_t chunk = 0, DataReader::Limits limits = {},
        DataReader::HeaderEnd hook = {}) {
  Run r;
  DataReader d(
      limits,
      [&](std::string_view b) {
        r.stored.append(b);
        r.chunks.push_back(b.size());
        return Status{};
      },
      std::move(hook));
  size_t step = chunk ? chunk : input.size();
  while (r.consumed < input.size() && !d.done()) {
    std::string_view piece = input.substr(r.consumed, step);
    size_t n = d.feed(piece);
    r.consumed += n;
    if (n < piece.size()) break;
  }
  r.done = d.done();
  r.sum = d.summary();
  r.sink_error = d.sink_error().has_value();
  return r;
}

// The same input must give the same result however the network splits it.
void check_all_chunkings(std::string_view input, const std::string& stored, size_t consumed,
                         DataReader::Limits limits = {}) {
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
    INFO("chunk size " << chunk);
    Run r = run(input, chunk, limits);
    CHECK(r.done);
    CHECK(r.consumed == consumed);
    CHECK(r.stored == stored);
  }
}

}  // namespace

TEST_CASE("data: ends at CRLF.CRLF, stores LF lines, leaves what follows", "[data]") {
  std::string in = "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  check_all_chunkings(in, "Subject: x\n\nbody\n", in.size() - 6);
  Run r = run(in);
  CHECK(r.sum.size == std::string("Subject: x\r\n\r\nbody\r\n").size());
  CHECK_FALSE(r.sum.bare_lf);
  CHECK_FALSE(r.sum.bare_cr);
}

TEST_CASE("data: an empty message is just the dot line", "[data]") {
  check_all_chunkings(".\r\n", "", 3);
  CHECK(run(".\r\n").sum.size == 0);
}

TEST_CASE("data: not done without the end line", "[data]") {
  Run r = run("a\r\nb\r\n.");
  CHECK_FALSE(r.done);
  CHECK(r.consumed == 7);
  Run r2 = run("a\r\n.\r");
  CHECK_FALSE(r2.done);
}

TEST_CASE("data: transparency dots are removed (RFC 5321 4.5.2)", "[data]") {
  check_all_chunkings("..a\r\n...\r\n..\r\n.\r\n", ".a\n..\n.\n", 17);
  // The size excludes the removed dots: ".a" "..", "." plus 3 CRLF.
  CHECK(run("..a\r\n...\r\n..\r\n.\r\n").sum.size == 2 + 2 + 1 + 6);
  // A dot followed by a bare CR: the dot is stuffing, the CR is content.
  check_all_chunkings(".\rx\r\n.\r\n", "\rx\n", 8);
}

TEST_CASE("data: smuggling sequences never end the data", "[data][smuggling]") {
  const std::string inner = "MAIL FROM:<admin@example.test>\r\nRCPT TO:<a@example.test>\r\nDATA\r\nSubject: smuggled\r\n";
  struct Case {
    std::string seq;
    std::string stored_seq;  // how the sequence is stored
    bool bare_lf, bare_cr;
  };
  std::vector<Case> cases = {
      {"\n.\n", "\n.\n", true, false},
      {"\r.\r", "\r.\r", false, true},
      {"\n.\r\n", "\n.\n", true, false},
      {"\r\n.\n", "\n.\n", true, false},
      {"\r\n.\r.\r\n", "\n\r.\n", false, true},
  };
  for (const auto& c : cases) {
    INFO("sequence " << Catch::Detail::stringify(c.seq));
    std::string in = "Subject: outer\r\n\r\nouter body" + c.seq + inner + "\r\ninner\r\n.\r\nQUIT\r\n";
    std::string stored = "Subject: outer\n\nouter body" + c.stored_seq +
                         "MAIL FROM:<admin@example.test>\nRCPT TO:<a@example.test>\nDATA\nSubject: smuggled\n\ninner\n";
    check_all_chunkings(in, stored, in.size() - 6);
    Run r = run(in);
    CHECK(r.sum.bare_lf == c.bare_lf);
    CHECK(r.sum.bare_cr == c.bare_cr);
  }
}

TEST_CASE("data: LF.LF alone is not an end either", "[data][smuggling]") {
  Run r = run("a\n.\n");
  CHECK_FALSE(r.done);
  Run r2 = run("a\r.\r\n");  // bare CR before the dot: the dot is mid-line
  CHECK_FALSE(r2.done);
  // After a bare-LF line, CRLF.CRLF needs its own CRLF first.
  Run r3 = run("a\n.\r\nb\r\n.\r\n");
  CHECK(r3.done);
  CHECK(r3.stored == "a\n.\nb\n");
}

TEST_CASE("data: bare CR inside a line is kept, CRCRLF is CR + line end", "[data]") {
  check_all_chunkings("a\rb\r\r\n.\r\n", "a\rb\r\n", 9);
  Run r = run("a\rb\r\r\n.\r\n");
  CHECK(r.sum.bare_cr);
  CHECK_FALSE(r.sum.bare_lf);
}

TEST_CASE("data: 8-bit and NUL bytes pass through", "[data]") {
  std::string in = std::string("caf\xc3\xa9 \0x\r\n.\r\n", 13);
  Run r = run(in);
  CHECK(r.done);
  CHECK(r.stored == std::string("caf\xc3\xa9 \0x\n", 9));
}

TEST_CASE("data: message_size_limit at limit and limit+1", "[data][limits]") {
  std::string in = "Subject: s\r\n\r\nabc\r\n.\r\n";  // 12 + 2 + 5 = 19 octets
  DataReader::Limits at;
  at.message_size_limit = 19;
  Run ok = run(in, 0, at);
  CHECK(ok.done);
  CHECK_FALSE(ok.sum.too_big);
  CHECK(ok.stored == "Subject: s\n\nabc\n");
  DataReader::Limits below;
  below.message_size_limit = 18;
  Run big = run(in, 0, below);
  CHECK(big.done);  // the data is still read to its end
  CHECK(big.sum.too_big);
  CHECK(big.consumed == in.size());
  // Bytes chunked one by one: once too big, the sink gets nothing more.
  Run big1 = run(in, 1, below);
  CHECK(big1.sum.too_big);
  CHECK(big1.stored.size() < 16);
}

TEST_CASE("data: streaming keeps memory bounded", "[data]") {
  // One 1 MiB line in the body, then a big header line: the sink is called
  // in chunks during the feed, never with everything at once.
  std::string in = "Subject: s\r\n\r\n" + std::string(1 << 20, 'x') + "\r\n.\r\n";
  Run r = run(in);
  CHECK(r.done);
  CHECK(r.stored.size() == 11 + 1 + (1 << 20) + 1);
  REQUIRE(r.chunks.size() > 4);
  for (size_t c : r.chunks) CHECK(c <= DataReader::kSinkChunk + 16);
}

TEST_CASE("data: Received headers are counted in the header section only", "[data]") {
  std::string in =
      "Received: from a\r\n\tby b\r\nreceived: x\r\nRECEIVED : obsolete form\r\nX-Received: no\r\n"
      "Subject: s\r\n\r\nReceived: in the body\r\n.\r\n";
  CHECK(run(in).sum.received_headers == 3);
  for (size_t chunk : {1, 5}) CHECK(run(in, chunk).sum.received_headers == 3);
  // A non-header line ends the header section even without an empty line.
  CHECK(run("Received: a\r\nnot a header\r\nReceived: b\r\n.\r\n").sum.received_headers == 1);
  // A message cannot start with a continuation line.
  CHECK(run(" Received: a\r\nReceived: b\r\n.\r\n").sum.received_headers == 0);
  // A dot-stuffed header line is still a header line.
  CHECK(run("..Received: x\r\n.\r\n").sum.received_headers == 0);
}

TEST_CASE("data: header_size_limit at limit and limit+1", "[data][limits]") {
  // "X: aaaaaaa\n" (11) + " bbbb\n" (6): one header field of 17 bytes, then
  // a Received: of 12.
  std::string in = "X: aaaaaaa\r\n bbbb\r\nReceived: r\r\n\r\n.\r\n";
  DataReader::Limits at;
  at.header_size_limit = 17;
  Run ok = run(in, 0, at);
  CHECK(ok.sum.received_headers == 1);
  CHECK(ok.stored == "X: aaaaaaa\n bbbb\nReceived: r\n\n");
  DataReader::Limits over;
  over.header_size_limit = 16;
  Run cut = run(in, 0, over);
  // Header processing stopped inside X:, so the Received: after it is body;
  // the content is unchanged.
  CHECK(cut.sum.received_headers == 0);
  CHECK(cut.stored == ok.stored);
  for (size_t chunk : {1, 3}) {
    CHECK(run(in, chunk, at).sum.received_headers == 1);
    CHECK(run(in, chunk, over).sum.received_headers == 0);
    CHECK(run(in, chunk, over).stored == ok.stored);
  }
}

TEST_CASE("data: the header-end hook inserts before the body", "[data]") {
  auto hook = [](const DataSummary& s) {
    std::string add;
    if (!s.has_date) add += "Date: now\n";
    if (!s.has_message_id) add += "Message-ID: <id@x>\n";
    if (!s.has_from) add += "From: me\n";
    return add;
  };
  CHECK(run("Subject: s\r\n\r\nbody\r\n.\r\n", 0, {}, hook).stored ==
        "Subject: s\nDate: now\nMessage-ID: <id@x>\nFrom: me\n\nbody\n");
  CHECK(run("Date: d\r\nmessage-id: <m>\r\nFROM: f\r\n\r\nb\r\n.\r\n", 1, {}, hook).stored ==
        "Date: d\nmessage-id: <m>\nFROM: f\n\nb\n");
  // The body starts without an empty line: insert before it.
  CHECK(run("Date: d\r\nbody line\r\n.\r\n", 0, {}, hook).stored ==
        "Date: d\nMessage-ID: <id@x>\nFrom: me\nbody line\n");
  // Header only, no body: at the end.
  CHECK(run("Date: d\r\nFrom: f\r\n.\r\n", 2, {}, hook).stored == "Date: d\nFrom: f\nMessage-ID: <id@x>\n");
  // No header at all.
  CHECK(run("hello\r\n.\r\n", 0, {}, hook).stored == "Date: now\nMessage-ID: <id@x>\nFrom: me\nhello\n");
  // A folded field is not split by the insertion.
  CHECK(run("Subject: a\r\n b\r\n\r\nx\r\n.\r\n", 1, {}, [](const DataSummary&) { return std::string("Z: z\n"); })
            .stored == "Subject: a\n b\nZ: z\n\nx\n");
}

TEST_CASE("data: a sink error stops writing but the data is still consumed", "[data]") {
  int calls = 0;
  DataReader d({}, [&](std::string_view) {
    ++calls;
    return Status(Error{"disk full"});
  });
  std::string in = "a\r\n" + std::string(200000, 'b') + "\r\n.\r\nNEXT";
  size_t n = d.feed(in);
  CHECK(d.done());
  CHECK(n == in.size() - 4);
  CHECK(calls == 1);
  REQUIRE(d.sink_error());
  CHECK(d.sink_error()->message == "disk full");
}

TEST_CASE("data: header_field_name", "[data]") {
  CHECK(smtpd::header_field_name("Subject: x") == std::optional<std::string_view>("Subject"));
  CHECK(smtpd::header_field_name("Subject \t: x") == std::optional<std::string_view>("Subject"));
  CHECK(smtpd::header_field_name("X:") == std::optional<std::string_view>("X"));
  CHECK_FALSE(smtpd::header_field_name(": x"));
  CHECK_FALSE(smtpd::header_field_name("no colon"));
  CHECK_FALSE(smtpd::header_field_name("two words: x"));
  CHECK_FALSE(smtpd::header_field_name(" Subject: x"));
  CHECK_FALSE(smtpd::header_field_name(""));
}

namespace {
// BDAT: the chunks as the client sent them, then LAST.
std::string run_chunks(const std::vector<std::string>& chunks, DataReader::Limits limits = {},
                       DataReader::HeaderEnd hook = {}) {
  std::string stored;
  DataReader d(limits, [&](std::string_view b) {
    stored.append(b);
    return Status{};
  }, std::move(hook));
  for (const auto& c : chunks) d.feed_chunk(c);
  CHECK_FALSE(d.done());
  d.finish_chunks();
  CHECK(d.done());
  return stored;
}
}  // namespace

TEST_CASE("data: BDAT chunks are content as they are, lines stored with LF", "[data][bdat]") {
  // No end line and no transparency: ".\r\n" and "..x" are content.
  CHECK(run_chunks({"S: a\r\n\r\n.\r\n..x\r\n"}) == "S: a\n\n.\n..x\n");
  // A CRLF split across chunks is one line end; bare CR is content, bare LF a line end.
  CHECK(run_chunks({"a\r", "\nb\rc\n", "d\r\n"}) == "a\nb\rc\nd\n");
  // The last line without line end is completed; a final CR is content.
  CHECK(run_chunks({"S: a\r\n\r\nend"}) == "S: a\n\nend\n");
  CHECK(run_chunks({"x\r\n\r\nend\r"}) == "x\n\nend\r\n");
  // Header only, without line end: the header section ends at LAST.
  auto hook = [](const DataSummary& s) { return s.has_date ? std::string() : std::string("Date: now\n"); };
  CHECK(run_chunks({"Subject: s"}, {}, hook) == "Subject: s\nDate: now\n");
  CHECK(run_chunks({}, {}, hook) == "Date: now\n");
  CHECK(run_chunks({""}) == "");
}

TEST_CASE("data: message_drop_headers removes fields with their continuations", "[data]") {
  DataReader::Limits limits;
  limits.drop_headers = {"bcc", "resent-bcc", "return-path", "content-length"};
  const std::string in = "To: a\r\nBcc: secret@example.test,\r\n\tother@example.test\r\nBCC : x\r\n"
                         "Resent-Bcc: y\r\nReturn-Path: <z>\r\nContent-Length: 5\r\nSubject: s\r\n"
                         " folded\r\n\r\nBcc: in the body\r\n.\r\n";
  const std::string kept = "To: a\nSubject: s\n folded\n\nBcc: in the body\n";
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{5}}) {
    INFO("chunk size " << chunk);
    Run r = run(in, chunk, limits);
    CHECK(r.done);
    CHECK(r.stored == kept);
  }
  CHECK(run_chunks({in.substr(0, in.size() - 3)}, limits) == kept);
  // Without the list nothing is dropped.
  CHECK(run(in).stored.find("Bcc: secret") != std::string::npos);
}

// The body is taken in runs up to the next CR or LF; fed one byte at a time
// every run is a single byte, which is the byte-wise state machine. Random
// messages over an alphabet of the bytes that matter must come out the same
// both ways, in DATA (with dot transparency and the end line) and in BDAT,
// with the size limit falling anywhere.
TEST_CASE("data: body runs give what byte-wise reading gives", "[data]") {
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  const char alphabet[] = {'a', 'b', '.', '\r', '\n', 'x', '\0', ' '};
  for (int round = 0; round < 400; ++round) {
    std::string body;
    size_t len = next() % 300;
    for (size_t i = 0; i < len; ++i) body += next() % 3 == 0 ? alphabet[next() % 8] : 'a' + static_cast<char>(next() % 26);
    std::string message = (round % 2 ? "Subject: s\r\n\r\n" : "") + body;
    DataReader::Limits limits;
    if (round % 5 == 0) limits.message_size_limit = next() % 300 + 1;
    INFO("round " << round);
    Run whole = run(message + "\r\n.\r\n", 0, limits);
    Run bytes = run(message + "\r\n.\r\n", 1, limits);
    CHECK(whole.done == bytes.done);
    CHECK(whole.consumed == bytes.consumed);
    CHECK(whole.sum.size == bytes.sum.size);
    CHECK(whole.sum.too_big == bytes.sum.too_big);
    CHECK(whole.sum.bare_cr == bytes.sum.bare_cr);
    CHECK(whole.sum.bare_lf == bytes.sum.bare_lf);
    if (!whole.sum.too_big) CHECK(whole.stored == bytes.stored);
    std::vector<std::string> one_byte_chunks;
    for (char c : message) one_byte_chunks.emplace_back(1, c);
    // Over the limit nothing counts (the message is refused) but what was
    // flushed before differs with the chunking.
    if (!limits.message_size_limit) CHECK(run_chunks({message}) == run_chunks(one_byte_chunks));
  }
}
