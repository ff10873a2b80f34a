#include "local/content.h"

#include <unistd.h>

#include <cerrno>
#include <vector>

namespace buzon::local {
namespace {

std::string header_safe(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

Result<size_t> pread_some(int fd, char* buf, size_t len, off_t at) {
  for (;;) {
    ssize_t n = ::pread(fd, buf, len, at);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return sys_error("read queue file");
  }
}

}  // namespace

std::string delivery_headers(const Message& m) {
  return "Return-Path: <" + header_safe(m.sender) + ">\nDelivered-To: " + header_safe(m.recipient) + "\n";
}

Status for_each_chunk(const Message& m, const std::function<Status(std::string_view)>& sink) {
  std::vector<char> buf(kChunk);
  unsigned long long left = m.content_size;
  off_t at = m.content_offset;
  while (left > 0) {
    size_t want = left < kChunk ? static_cast<size_t>(left) : kChunk;
    auto n = pread_some(m.fd, buf.data(), want, at);
    if (!n) return n.error();
    if (*n == 0) return Error{"read queue file: truncated content"};
    if (auto s = sink(std::string_view(buf.data(), *n)); !s) return s;
    left -= *n;
    at += static_cast<off_t>(*n);
  }
  return {};
}

Result<bool> ends_in_newline(const Message& m) {
  if (m.content_size == 0) return true;
  char c = 0;
  auto n = pread_some(m.fd, &c, 1, m.content_offset + static_cast<off_t>(m.content_size) - 1);
  if (!n) return n.error();
  if (*n != 1) return Error{"read queue file: truncated content"};
  return c == '\n';
}

Result<unsigned long long> delivered_size(const Message& m) {
  auto nl = ends_in_newline(m);
  if (!nl) return nl.error();
  return delivery_headers(m).size() + m.content_size + (*nl ? 0 : 1);
}

}  // namespace buzon::local
