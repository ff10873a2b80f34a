#include "lib/mailbox/mbox.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace buzon::mailbox {
namespace {

struct MdFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// Feeds the bytes of one message, line by line, and keeps what the scanner
// needs: CRLF size and the digest of the header section.
class MessageSummer {
 public:
  MessageSummer() : md_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(md_.get(), EVP_md5(), nullptr); }
  // One line including its '\n', or a piece of a long line.
  void line(std::string_view l) {
    vsize_ += l.size();
    for (char c : l) {  // a bare LF becomes CRLF on the wire
      if (c == '\n' && prev_ != '\r') ++vsize_;
      prev_ = c;
    }
    if (in_header_) {
      if (l == "\n" || l == "\r\n") in_header_ = false;
      else EVP_DigestUpdate(md_.get(), l.data(), l.size());
    }
  }
  uint64_t vsize() const { return vsize_; }
  std::string digest() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md_.get(), d, &n);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
      out += hex[d[i] >> 4];
      out += hex[d[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdFree> md_;
  uint64_t vsize_ = 0;
  char prev_ = '\0';
  bool in_header_ = true;
};

// Reads a file line by line through a fixed buffer; a line longer than the
// buffer comes back in pieces (only the first piece is a line start).
class LineReader {
 public:
  LineReader(int fd, off_t size) : fd_(fd), size_(size) {}
  // Next piece; empty at the end. Sets at_line_start for the piece.
  Result<std::string_view> next(bool& at_line_start) {
    if (at_ == have_) {
      if (pos_ >= size_) return std::string_view{};
      ssize_t n;
      size_t want = static_cast<size_t>(std::min<off_t>(sizeof buf_, size_ - pos_));
      do n = ::pread(fd_, buf_, want, pos_);
      while (n < 0 && errno == EINTR);
      if (n < 0) return sys_error("read mbox");
      if (n == 0) return std::string_view{};
      base_ = pos_;
      pos_ += n;
      at_ = 0;
      have_ = static_cast<size_t>(n);
    }
    at_line_start = line_start_;
    std::string_view rest(buf_ + at_, have_ - at_);
    auto nl = rest.find('\n');
    std::string_view piece = nl == std::string_view::npos ? rest : rest.substr(0, nl + 1);
    offset_ = base_ + static_cast<off_t>(at_);
    at_ += piece.size();
    line_start_ = piece.back() == '\n';
    return piece;
  }
  off_t offset() const { return offset_; }  // file offset of the last piece

 private:
  int fd_;
  off_t size_;
  off_t pos_ = 0, base_ = 0, offset_ = 0;
  char buf_[65536];
  size_t at_ = 0, have_ = 0;
  bool line_start_ = true;
};

}  // namespace

Result<std::vector<MboxMessage>> scan_mbox(int fd, off_t size) {
  std::vector<MboxMessage> out;
  auto reader = std::make_unique<LineReader>(fd, size);
  std::unique_ptr<MessageSummer> sum;
  // An empty line is held back until the next line shows whether it is the
  // separator before a From_ line (not content) or part of the message.
  bool held_empty = false;
  std::string held;
  off_t held_at = 0;
  auto close_last = [&](off_t end) {
    if (out.empty()) return;
    out.back().end = end;
    out.back().vsize = sum->vsize();
    out.back().digest = sum->digest();
  };
  for (;;) {
    bool line_start = false;
    auto piece = reader->next(line_start);
    if (!piece) return piece.error();
    if (piece->empty()) break;
    off_t at = reader->offset();
    bool after_empty = out.empty() ? at == 0 : held_empty;
    if (line_start && after_empty && piece->substr(0, 5) == "From ") {
      close_last(held_empty ? held_at : at);
      held_empty = false;
      if (out.size() >= kMboxMessagesMax) return Error{"mbox has more than " + std::to_string(kMboxMessagesMax) + " messages"};
      out.push_back({at, 0, 0, 0, {}});
      sum = std::make_unique<MessageSummer>();
      while (piece->back() != '\n') {  // the rest of an over-long From_ line
        piece = reader->next(line_start);
        if (!piece) return piece.error();
        if (piece->empty()) break;
      }
      out.back().start = reader->offset() + static_cast<off_t>(piece->size());
      continue;
    }
    if (out.empty()) return Error{"not an mbox file: it does not start with a From_ line"};
    if (held_empty) {
      sum->line(held);
      held_empty = false;
    }
    if (line_start && (*piece == "\n" || *piece == "\r\n")) {
      held_empty = true;
      held = *piece;
      held_at = at;
      continue;
    }
    sum->line(*piece);
  }
  // The empty line at the very end is the last message's separator.
  close_last(held_empty ? held_at : size);
  return out;
}

}  // namespace buzon::mailbox
