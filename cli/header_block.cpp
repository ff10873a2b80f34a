#include "cli/header_block.h"

#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

// RFC 5322 3.6.8 ftext: printable US-ASCII except ':'.
bool is_ftext(unsigned char c) { return c >= 33 && c <= 126 && c != ':'; }
bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// For a line cut short by the size limit: could it still be (the start of)
// a header field or a continuation? Then the header is too large; if not,
// it is the first body line and the header is complete.
bool could_be_header(std::string_view partial, bool have_fields) {
  if (partial.empty()) return true;
  if (is_wsp(partial[0])) return have_fields;
  size_t i = 0;
  while (i < partial.size() && is_ftext(static_cast<unsigned char>(partial[i]))) ++i;
  while (i < partial.size() && is_wsp(partial[i])) ++i;
  return i == partial.size() || partial[i] == ':';
}

}  // namespace

std::optional<std::string> field_name(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && is_ftext(static_cast<unsigned char>(line[i]))) ++i;
  if (i == 0) return std::nullopt;
  size_t name_end = i;
  while (i < line.size() && is_wsp(line[i])) ++i;
  if (i == line.size() || line[i] != ':') return std::nullopt;
  return std::string(line.substr(0, name_end));
}

std::string HeaderField::unfolded_body() const {
  size_t colon = raw.find(':');
  std::string out;
  std::string_view body = std::string_view(raw).substr(colon == std::string::npos ? raw.size() : colon + 1);
  for (char c : body)
    if (c != '\n') out += c;  // the WSP after the fold stays (RFC 5322 2.2.3)
  return std::string(str::trim(out));
}

const HeaderField* HeaderBlock::find(std::string_view name) const {
  for (const auto& f : fields)
    if (str::iequals(f.name, name)) return &f;
  return nullptr;
}

Result<HeaderBlock> read_header_block(ByteSource& in, size_t limit, bool dot_ends_input) {
  HeaderBlock hb;
  std::string buf;      // unconsumed input
  size_t used = 0;      // header bytes consumed so far, terminators included
  bool first_line = true;
  bool eof = false;
  const Error too_long{"message header exceeds header_size_limit (" + std::to_string(limit) + " bytes)"};

  for (;;) {
    size_t nl = buf.find('\n');
    if (nl == std::string::npos && !eof) {
      if (used + buf.size() > limit) {
        if (could_be_header(buf, !hb.fields.empty())) return too_long;
        hb.end = HeaderBlock::End::Body;
        hb.rest = std::move(buf);
        return hb;
      }
      char chunk[65536];
      auto n = in.read(chunk, sizeof chunk);
      if (!n) return n.error();
      if (*n == 0) eof = true;
      buf.append(chunk, *n);
      continue;
    }
    if (nl == std::string::npos && buf.empty()) {  // clean end of input
      hb.end = HeaderBlock::End::Eof;
      return hb;
    }
    size_t raw_len = nl == std::string::npos ? buf.size() : nl + 1;
    std::string_view line(buf.data(), nl == std::string::npos ? buf.size() : nl);
    if (!line.empty() && line.back() == '\r' && nl != std::string::npos) line.remove_suffix(1);

    // Postfix's sendmail skips an mbox "From " envelope line at the start.
    if (first_line && line.starts_with("From ")) {
      first_line = false;
      if (used + raw_len > limit) return too_long;
      used += raw_len;
      buf.erase(0, raw_len);
      continue;
    }
    first_line = false;

    if (line.empty()) {
      hb.end = HeaderBlock::End::Blank;
      hb.rest = buf.substr(raw_len);
      return hb;
    }
    if (dot_ends_input && line == ".") {
      hb.end = HeaderBlock::End::Dot;
      return hb;
    }
    bool continuation = is_wsp(line[0]) && !hb.fields.empty();
    auto name = continuation ? std::nullopt : field_name(line);
    if (!continuation && !name) {
      hb.end = HeaderBlock::End::Body;
      hb.rest = std::move(buf);
      return hb;
    }
    if (used + raw_len > limit) return too_long;
    used += raw_len;
    if (continuation) {
      hb.fields.back().raw += '\n';
      hb.fields.back().raw += line;
    } else {
      hb.fields.push_back({std::move(*name), std::string(line)});
    }
    buf.erase(0, raw_len);
  }
}

}  // namespace buzon::cli
