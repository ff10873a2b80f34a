#include "lib/attr/attr.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/core/fd.h"
#include "lib/core/strings.h"

namespace buzon::attr {
namespace {

bool name_ok(std::string_view name) {
  if (name.empty() || name.size() > kNameMax) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string length_prefix(size_t n) {
  std::string p(4, '\0');
  for (int i = 3; i >= 0; --i, n >>= 8) p[static_cast<size_t>(i)] = static_cast<char>(n & 0xff);
  return p;
}

size_t parse_length(std::string_view p) {
  size_t n = 0;
  for (size_t i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}

using Clock = std::chrono::steady_clock;

// Waits until fd is ready for events or the deadline passes.
Status wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Error{"timeout", ETIMEDOUT};
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return {};
    if (r < 0 && errno != EINTR) return sys_error("poll");
  }
}

}  // namespace

Message& Message::set(std::string_view name, std::string_view value) {
  pairs_.emplace_back(name, value);
  return *this;
}

Message& Message::set(std::string_view name, long long value) {
  return set(name, std::to_string(value));
}

std::optional<std::string_view> Message::get(std::string_view name) const {
  for (const auto& [k, v] : pairs_)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::optional<unsigned long long> Message::get_uint(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  return str::to_uint(*v);
}

std::string Message::encode_payload() const {
  std::string out;
  for (const auto& [k, v] : pairs_) {
    out += k;
    out += '\0';
    out += v;
    out += '\0';
  }
  return out;
}

std::string Message::encode() const {
  std::string payload = encode_payload();
  return length_prefix(payload.size()) + payload;
}

Result<Message> decode(std::string_view payload) {
  if (payload.size() > kMessageMax) return Error{"too long"};
  Message m;
  size_t count = 0;
  while (!payload.empty()) {
    size_t n = payload.find('\0');
    if (n == std::string_view::npos) return Error{"malformed: name without terminator"};
    if (n > kNameMax) return Error{"too long: attribute name"};
    std::string_view name = payload.substr(0, n);
    if (!name_ok(name)) return Error{"malformed: bad attribute name"};
    payload.remove_prefix(n + 1);
    size_t v = payload.find('\0');
    if (v == std::string_view::npos) return Error{"malformed: value without terminator"};
    if (v > kValueMax) return Error{"too long: attribute value"};
    if (++count > kCountMax) return Error{"too long: too many attributes"};
    m.set(name, payload.substr(0, v));
    payload.remove_prefix(v + 1);
  }
  return m;
}

void Reader::feed(std::string_view bytes) { buf_.append(bytes); }

std::optional<Result<Message>> Reader::next() {
  if (buf_.size() < 4) return std::nullopt;
  size_t n = parse_length(buf_);
  if (n > kMessageMax) return Result<Message>(Error{"too long"});
  if (buf_.size() < 4 + n) return std::nullopt;
  auto m = decode(std::string_view(buf_).substr(4, n));
  buf_.erase(0, 4 + n);
  return m;
}

Status write_message(int fd, const Message& m, std::chrono::milliseconds timeout) {
  std::string wire = m.encode();
  if (wire.size() - 4 > kMessageMax) return Error{"too long"};
  auto deadline = Clock::now() + timeout;
  std::string_view left = wire;
  while (!left.empty()) {
    ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      left.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return sys_error("send");
    if (auto w = wait_fd(fd, POLLOUT, deadline); !w) return w;
  }
  return {};
}

Result<Message> read_message(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  Reader reader;
  char buf[4096];
  for (;;) {
    if (auto m = reader.next()) return std::move(*m);
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      reader.feed(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) return Error{"connection closed"};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return sys_error("recv");
    if (auto w = wait_fd(fd, POLLIN, deadline); !w) return w.error();
  }
}

Result<Fd> connect_unix(const std::string& path, bool nonblocking) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Error{path + ": socket path too long"};
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd) return sys_error("socket");
  while (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno != EINTR) return sys_error("connect " + path);
  }
  return fd;
}

}  // namespace buzon::attr
