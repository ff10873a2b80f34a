// The internal request/response protocol between Buzón processes over UNIX
// stream sockets (doc/ipc.md). A message is a 4-byte big-endian payload
// length followed by the payload: zero or more "name\0value\0" pairs.
// Names are [a-z0-9_], 1..kNameMax bytes; values are any bytes except NUL.
//
// LIMITS  kMessageMax payload bytes, kNameMax, kValueMax, kCountMax pairs.
//         Anything larger is refused with "too long", never truncated.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::attr {

constexpr size_t kMessageMax = 65536;
constexpr size_t kNameMax = 64;
constexpr size_t kValueMax = 16384;
constexpr size_t kCountMax = 256;

class Message {
 public:
  Message& set(std::string_view name, std::string_view value);
  Message& set(std::string_view name, long long value);
  // First value for name, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  // Value parsed as non-negative decimal; nullopt if absent or malformed.
  std::optional<unsigned long long> get_uint(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

  // Payload only ("name\0value\0..."), without the length prefix.
  std::string encode_payload() const;
  // Length prefix + payload, ready to write.
  std::string encode() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Decodes a payload (no length prefix). Errors: "too long", "malformed".
Result<Message> decode(std::string_view payload);

// Incremental reader for non-blocking sockets: feed() bytes as they arrive,
// then take complete messages with next(). A frame that announces more than
// kMessageMax is an error immediately (before buffering it).
class Reader {
 public:
  void feed(std::string_view bytes);
  // nullopt: need more bytes. Error: the stream is broken, close it.
  std::optional<Result<Message>> next();

 private:
  std::string buf_;
};

// Blocking helpers with a deadline, for simple request/response clients.
Status write_message(int fd, const Message& m, std::chrono::milliseconds timeout);
Result<Message> read_message(int fd, std::chrono::milliseconds timeout);

// Connects to a UNIX stream socket (close-on-exec). A UNIX stream connect
// completes at once or fails: with nonblocking, a full listen queue fails
// with EAGAIN instead of blocking an event loop, and the socket stays
// non-blocking.
Result<Fd> connect_unix(const std::string& path, bool nonblocking = false);

}  // namespace buzon::attr
