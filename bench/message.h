// Test messages for the SMTP load generator: a size distribution, the
// recipient spread over the benchmark users, and the RFC 5322 text with a
// unique Message-ID that the Maildir watcher matches deliveries by.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// "4096" (every message 4096 bytes) or "4096:3,65536:1" (weighted choice).
// Sizes are the bytes of the message as it sits in the Maildir file before
// the server adds its own headers (Received:, Return-Path:, ...).
class SizeDist {
 public:
  // nullopt on malformed text, a size of 0, a size above 64 MiB, a weight
  // of 0 or more than 64 entries.
  static std::optional<SizeDist> parse(std::string_view spec);
  size_t pick(std::mt19937_64& rng) const;
  std::string describe() const;

 private:
  std::vector<size_t> sizes_;
  std::vector<unsigned> weights_;
  unsigned total_ = 0;
};

// Recipient j (0-based, j < per_message) of message seq: users are used in
// round robin so the load on the U Maildirs is even and the R recipients of
// one message are distinct as long as R <= U.
unsigned recipient_user(uint64_t seq, unsigned j, unsigned per_message, unsigned users);

// "<RUNID.SEQ@bench.invalid>": the watcher's key. RUNID keeps runs apart
// when a Maildir still holds files of an earlier run.
std::string message_id(std::string_view run_id, uint64_t seq);

// The complete message (header + body, CRLF line ends, no line starting
// with '.'), exactly `size` bytes when size is at least the header length,
// else the header plus one short body line.
std::string build_message(std::string_view run_id, uint64_t seq, std::string_view to,
                          size_t size);

// A message for the POP3 benchmark's mailboxes: build_message's text with
// a fixed Date (the Maildir fill and the POP3 client, separate programs,
// must produce the same bytes) and two body lines that start with '.' and
// '..', so every RETR exercises the server's byte-stuffing (RFC 1939 3).
// CRLF line ends: this is the text a POP3 client must get back after
// removing the stuffing; the Maildir file holds it with LF line ends.
std::string mailbox_message(std::string_view run_id, uint64_t seq, std::string_view to,
                            size_t size);

// The same text with LF line ends, as an MDA writes it into a Maildir.
std::string to_lf(std::string_view crlf_text);

}  // namespace bench
