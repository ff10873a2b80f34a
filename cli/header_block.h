// HeaderBlock - the message header as sendmail reads it from its input,
// before anything is sent: sendmail -t needs the To:/Cc:/Bcc: fields and
// every submission needs to know whether there is a From: field. Only the
// header is held in memory, bounded by header_size_limit; the body is
// streamed afterwards (sendmail.h).
//
// Lines may end in LF or CRLF. A leading mbox "From " line is dropped, as
// Postfix's sendmail does. The header ends at an empty line, at the first
// line that is neither a header field nor a continuation (that line is the
// start of the body), at end of input, or - without -i - at a line that is
// a single '.'.
//
// LIMITS  header_size_limit bytes for the whole header block (the fields as
//         read, terminators included); one byte more is an error rather
//         than a silent truncation that would lose -t recipients.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/byte_source.h"
#include "lib/core/result.h"

namespace buzon::cli {

struct HeaderField {
  std::string name;  // as written, e.g. "Resent-To"
  std::string raw;   // the field as read: lines joined with "\n", no final newline, CRs removed
  // The field body with folding undone (RFC 5322 2.2.3: CRLF before WSP is
  // removed), without the name and colon.
  std::string unfolded_body() const;
};

struct HeaderBlock {
  enum class End {
    Blank,  // an empty line separated header and body (not in rest)
    Body,   // the body started without an empty line; rest starts with it
    Eof,    // input ended inside or right after the header
    Dot,    // a lone '.' line ended the input (not in rest)
  };
  std::vector<HeaderField> fields;
  End end = End::Eof;
  std::string rest;  // bytes already read that come after the header, raw

  // First field with this name (case-insensitive), or nullptr.
  const HeaderField* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
};

// Reads the header from in. Errors: read errors, and "message header
// exceeds header_size_limit (N bytes)".
Result<HeaderBlock> read_header_block(ByteSource& in, size_t limit, bool dot_ends_input);

// The field name when line starts a header field ("Subject: x" -> "Subject",
// also "Subject : x", the obsolete form of RFC 5322 4.5); nullopt otherwise.
std::optional<std::string> field_name(std::string_view line);

}  // namespace buzon::cli
