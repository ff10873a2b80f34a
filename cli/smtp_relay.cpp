#include "cli/smtp_relay.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lib/file/file.h"

namespace buzon::cli {

std::string lf_to_crlf(std::string_view in, bool& last_cr) {
  std::string out;
  out.reserve(in.size() + 16);
  for (char c : in) {
    if (c == '\n' && !last_cr) out += '\r';
    out += c;
    last_cr = c == '\r';
  }
  return out;
}

Status relay_smtp(int in_fd, int out_fd, int sock) {
  bool in_open = true;
  bool last_cr = false;
  char buf[16384];
  for (;;) {
    pollfd p[2] = {{sock, POLLIN, 0}, {in_open ? in_fd : -1, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return sys_error("poll");
    }
    if (p[0].revents) {
      ssize_t n = ::read(sock, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error("read from server");
      }
      if (n == 0) return {};  // the server said 221 and closed
      if (auto s = file::write_all(out_fd, std::string_view(buf, static_cast<size_t>(n))); !s) return s;
    }
    if (in_open && p[1].revents) {
      ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error("read standard input");
      }
      if (n == 0) {
        in_open = false;
        ::shutdown(sock, SHUT_WR);
        continue;
      }
      if (auto s = file::write_all(sock, lf_to_crlf(std::string_view(buf, static_cast<size_t>(n)), last_cr)); !s)
        return s;
    }
  }
}

}  // namespace buzon::cli
