#include "local/loop.h"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "lib/core/strings.h"

namespace buzon::local {

bool header_has_delivered_to(std::string_view header, std::string_view address) {
  // Unfolding is not needed for a match: an address does not contain line
  // breaks, and a folded value would not equal it anyway.
  size_t pos = 0;
  while (pos < header.size()) {
    size_t nl = header.find('\n', pos);
    std::string_view line = header.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? header.size() : nl + 1;
    if (str::trim(line).empty()) break;  // end of the header
    if (!str::istarts_with(line, "delivered-to:")) continue;
    std::string_view value = str::trim(line.substr(13));
    if (value.size() >= 2 && value.front() == '<' && value.back() == '>') value = value.substr(1, value.size() - 2);
    if (str::iequals(value, address)) return true;
  }
  return false;
}

Result<bool> has_delivered_to(const Message& msg, std::string_view address, size_t max_header) {
  size_t want = msg.content_size < max_header ? static_cast<size_t>(msg.content_size) : max_header;
  std::string buf(want, '\0');
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(msg.fd, buf.data() + got, want - got, msg.content_offset + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read queue file");
    if (n == 0) return Error{"read queue file: truncated content"};
    got += static_cast<size_t>(n);
  }
  return header_has_delivered_to(buf, address);
}

}  // namespace buzon::local
