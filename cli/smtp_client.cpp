#include "cli/smtp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

// Waits for fd to become ready; false on timeout.
Result<bool> wait_ready(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return sys_error("poll");
  }
}

}  // namespace

std::string SmtpReply::summary() const {
  std::string first = text.substr(0, text.find('\n'));
  return str::sanitize(std::to_string(code) + (first.empty() ? "" : " " + first), 512);
}

Result<std::string> SmtpClient::read_line() {
  for (;;) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      if (nl > kReplyLineMax) return Error{"reply line too long"};
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buf_.size() > kReplyLineMax) return Error{"reply line too long"};
    auto ready = wait_ready(fd_, POLLIN, timeout_);
    if (!ready) return ready.error();
    if (!*ready) return Error{"timeout reading server reply"};
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return sys_error("read");
    }
    if (n == 0) return Error{"connection closed by server"};
    buf_.append(chunk, static_cast<size_t>(n));
  }
}

// RFC 5321 4.2: "ddd-text" continues, "ddd text" or "ddd" ends a reply;
// all lines carry the same code.
Result<SmtpReply> SmtpClient::read_reply() {
  SmtpReply r;
  for (size_t lines = 0;; ++lines) {
    if (lines == kReplyLinesMax) return Error{"reply has too many lines"};
    auto line = read_line();
    if (!line) return line.error();
    const std::string& l = *line;
    auto code = l.size() >= 3 ? str::to_uint(std::string_view(l).substr(0, 3)) : std::nullopt;
    if (!code || *code < 200 || *code > 599 || (l.size() > 3 && l[3] != '-' && l[3] != ' '))
      return Error{"malformed reply: " + str::sanitize(l, 100)};
    if (lines > 0 && static_cast<int>(*code) != r.code)
      return Error{"malformed reply: code changes within a reply"};
    r.code = static_cast<int>(*code);
    if (lines > 0) r.text += '\n';
    if (l.size() > 4) r.text += l.substr(4);
    if (l.size() == 3 || l[3] == ' ') return r;
  }
}

Status SmtpClient::write(std::string_view data) {
  while (!data.empty()) {
    auto ready = wait_ready(fd_, POLLOUT, timeout_);
    if (!ready) return ready.error();
    if (!*ready) return Error{"timeout writing to server"};
    // MSG_NOSIGNAL: a server that went away is an error here, not SIGPIPE.
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return sys_error("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<SmtpReply> SmtpClient::command(std::string_view line) {
  std::string out(line);
  out += "\r\n";
  if (auto s = write(out); !s) return s.error();
  return read_reply();
}

}  // namespace buzon::cli
