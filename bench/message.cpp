#include "bench/message.h"

#include <time.h>

#include <charconv>

namespace bench {

namespace {
constexpr size_t kMaxSize = 64u << 20;
constexpr size_t kMaxEntries = 64;

std::optional<unsigned long> number(std::string_view s) {
  unsigned long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

std::optional<SizeDist> SizeDist::parse(std::string_view spec) {
  SizeDist d;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (comma != std::string_view::npos && spec.empty()) return std::nullopt;  // "4096,"
    size_t colon = item.find(':');
    auto size = number(item.substr(0, colon));
    std::optional<unsigned long> weight = 1;
    if (colon != std::string_view::npos) weight = number(item.substr(colon + 1));
    if (!size || !weight || *size == 0 || *size > kMaxSize || *weight == 0 || *weight > 1000000)
      return std::nullopt;
    if (d.sizes_.size() == kMaxEntries) return std::nullopt;
    d.sizes_.push_back(*size);
    d.weights_.push_back(unsigned(*weight));
    d.total_ += unsigned(*weight);
  }
  if (d.sizes_.empty()) return std::nullopt;
  return d;
}

size_t SizeDist::pick(std::mt19937_64& rng) const {
  if (sizes_.size() == 1) return sizes_[0];
  unsigned r = unsigned(rng() % total_);
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (r < weights_[i]) return sizes_[i];
    r -= weights_[i];
  }
  return sizes_.back();
}

std::string SizeDist::describe() const {
  std::string s;
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(sizes_[i]);
    if (sizes_.size() > 1) s += ':' + std::to_string(weights_[i]);
  }
  return s;
}

unsigned recipient_user(uint64_t seq, unsigned j, unsigned per_message, unsigned users) {
  return unsigned((seq * per_message + j) % users) + 1;
}

std::string message_id(std::string_view run_id, uint64_t seq) {
  std::string id = "<";
  id += run_id;
  id += '.';
  id += std::to_string(seq);
  id += "@bench.invalid>";
  return id;
}

std::string build_message(std::string_view run_id, uint64_t seq, std::string_view to,
                          size_t size) {
  // One Date for the whole run: formatting it per message would put libc
  // time zone work into the client's share of the measurement.
  static const std::string date = [] {
    char buf[64];
    time_t t = time(nullptr);
    tm tmv{};
    gmtime_r(&t, &tmv);
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tmv);
    return std::string(buf);
  }();
  std::string m;
  m.reserve(size + 256);
  m += "From: Bench <bench@client.invalid>\r\n";
  m += "To: <";
  m += to;
  m += ">\r\nSubject: bench message ";
  m += std::to_string(seq);
  m += "\r\nDate: " + date + "\r\nMessage-ID: ";
  m += message_id(run_id, seq);
  m += "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  // Body: 76-character lines (RFC 5322 2.1.1 recommends <= 78), never
  // starting with '.', so no dot-stuffing is needed and the DATA and BDAT
  // forms carry the same bytes.
  static const char kLine[] =
      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-bench-filler";
  size_t want = size > m.size() + 3 ? size - m.size() : 3;
  while (want > 0) {
    size_t text = want - 2 < 74 ? want - 2 : 74;
    if (want - (text + 2) == 1 || want - (text + 2) == 2) text -= 3;  // no line shorter than 1 char
    m.append(kLine, text);
    m += "\r\n";
    want -= text + 2;
  }
  return m;
}

std::string mailbox_message(std::string_view run_id, uint64_t seq, std::string_view to,
                            size_t size) {
  std::string m = build_message(run_id, seq, to, size);
  // Same length as any strftime("%a, %d %b %Y %H:%M:%S +0000") result.
  static constexpr std::string_view kFixedDate = "Sun, 29 Nov 2026 00:00:00 +0000";
  size_t date = m.find("\r\nDate: ");
  if (date != std::string::npos) m.replace(date + 8, kFixedDate.size(), kFixedDate);
  size_t body = m.find("\r\n\r\n");
  if (body == std::string::npos) return m;
  size_t first = body + 4;
  size_t second = m.find("\r\n", first);
  // Lines of at least 3 characters (build_message never writes shorter
  // ones), so overwriting keeps the size exact.
  if (second != std::string::npos && second - first >= 3) m[first] = '.';
  if (second != std::string::npos && m.size() - (second + 2) >= 5 && m[second + 2] != '\r') {
    m[second + 2] = '.';
    m[second + 3] = '.';
  }
  return m;
}

std::string to_lf(std::string_view crlf_text) {
  std::string out;
  out.reserve(crlf_text.size());
  for (size_t i = 0; i < crlf_text.size(); ++i) {
    if (crlf_text[i] == '\r' && i + 1 < crlf_text.size() && crlf_text[i + 1] == '\n') continue;
    out += crlf_text[i];
  }
  return out;
}

}  // namespace bench
