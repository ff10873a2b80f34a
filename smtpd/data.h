// DataReader - the DATA phase of one message (RFC 5321 section 4.1.1.4 and
// 4.5.2), streaming: bytes go to the sink as they arrive, so memory use does
// not depend on the message size.
//
//  - The data ends ONLY at <CR><LF>.<CR><LF>: the "." line must end in CRLF
//    and so must the line before it (the start of the data counts as such).
//    "<LF>.<LF>", "<CR>.<CR>", "<LF>.<CR><LF>" and "<CR><LF>.<LF>" are
//    content. Ending on them would let a client smuggle a second message
//    past a server that ends differently (SMTP smuggling, CVE-2023-51764).
//  - Transparency: a line starting with "." loses that first "." when the
//    line has other characters (section 4.5.2); a lone "." line that does
//    not end the data is kept as ".".
//  - Lines are stored ending in LF (the queue file format); a bare LF ends a
//    line too (smtpd_forbid_bare_newline = normalize); a bare CR is content.
//  - The header section (up to the first empty line, or the first line that
//    is neither a header field nor a continuation) is examined for
//    Received: headers (hop count) and Date:/Message-ID:/From: presence.
//    One header longer than header_size_limit (continuations included) ends
//    header processing; the rest of the message is treated as body, as
//    Postfix does. The content itself is never changed by that.
//  - Header fields named in message_drop_headers (Bcc:, Resent-Bcc:,
//    Content-Length:, Return-Path: by default, as Postfix's cleanup) are
//    removed with their continuation lines.
//  - BDAT (RFC 3030) content comes through feed_chunk() instead of feed():
//    no end line and no dot transparency, the bytes are taken as they are;
//    CRLF (and a bare LF) end lines, stored as LF, as for DATA.
//
// LIMITS  message_size_limit (counted as RFC 1870 counts SIZE: every line
//         with a two-byte CRLF, transparency dots removed); beyond it the
//         sink gets nothing more and summary().too_big is set.
//         header_size_limit bytes of held header line (see above).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "smtpd/settings.h"

namespace buzon::smtpd {

struct DataSummary {
  unsigned long long size = 0;  // RFC 1870 size of the message received so far
  unsigned received_headers = 0;
  bool has_date = false;
  bool has_message_id = false;
  std::string message_id;  // first line of the Message-ID: value, trimmed, for the log
  bool has_from = false;
  bool too_big = false;  // size exceeded message_size_limit
  bool bare_lf = false;  // a line ended in LF alone
  bool bare_cr = false;  // a CR not followed by LF
};

class DataReader {
 public:
  struct Limits {
    unsigned long long message_size_limit = 0;  // 0: none
    size_t header_size_limit = 102400;
    std::vector<std::string> drop_headers;      // lower-case field names
  };
  using Sink = std::function<Status(std::string_view)>;
  // Called once where the header section ends (not when header processing
  // was abandoned for an oversize header); returns text to insert there
  // (whole LF-terminated header lines, or ""). Local submissions use it to
  // add a missing Date: and Message-ID:, as Postfix's cleanup does.
  using HeaderEnd = std::function<std::string(const DataSummary&)>;
  // The sink gets the content in pieces of about this size: large enough
  // that a write(2) costs little per byte, small enough that 50 sessions in
  // DATA hold little memory (64 KiB pieces cost smtpd 3.4 MiB with 50
  // sessions sending 64 KiB messages; bench/README, 2026-11-30).
  static constexpr size_t kSinkChunk = 16384;

  DataReader(const Limits& limits, Sink sink, HeaderEnd header_end = {});

  // Consumes input up to and including the end-of-data line and returns how
  // many bytes it took; when done(), the rest of in is not message data.
  size_t feed(std::string_view in);
  // BDAT: every byte of in is content (RFC 3030 section 2).
  void feed_chunk(std::string_view in);
  // BDAT LAST was read: a final line without line end is completed and the
  // header section ended if it had not; done() is true afterwards.
  void finish_chunks();
  bool done() const { return done_; }
  const DataSummary& summary() const { return sum_; }
  // The first error the sink returned; after one, nothing more is written.
  const std::optional<Error>& sink_error() const { return sink_error_; }

 private:
  enum class State { LineStart, Dot, DotCr, Mid, MidCr };
  void step(char c);
  void mid(char c);
  void mid_cr(char c);
  void content(char c);
  // Body bytes without CR or LF, as content(c) for each, in one piece.
  void content_run(std::string_view bytes);
  void line_end(bool crlf);
  void header_line_end();
  void end_of_headers();
  void emit(std::string_view s);
  void flush();
  bool discarding() const { return sum_.too_big || sink_error_.has_value(); }

  Limits limits_;
  Sink sink_;
  HeaderEnd header_end_;
  DataSummary sum_;
  std::optional<Error> sink_error_;
  State state_ = State::LineStart;
  bool prev_crlf_ = true;  // the DATA command line ended in CRLF by definition
  bool done_ = false;
  bool in_headers_ = true;
  bool have_header_ = false;   // a header field was seen (continuations need one)
  bool dropping_ = false;      // the current header field is in drop_headers
  size_t header_len_ = 0;      // bytes of the current header field so far
  std::string pending_;        // the current line, held while in the header section
  std::string out_;            // bytes for the sink, flushed in chunks
};

// The field name when line starts a header field ("Subject: x" -> "Subject",
// also the obsolete "Subject : x" of RFC 5322 section 4.5); nullopt otherwise.
std::optional<std::string_view> header_field_name(std::string_view line);

}  // namespace buzon::smtpd
