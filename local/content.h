// The message as local delivers it: "Return-Path: <sender>" and
// "Delivered-To: recipient" (RFC 5321 4.4 / Postfix local(8)), then the
// queued content unchanged (it already starts with smtpd's Received:).
// The content is streamed from the queue file in chunks of at most kChunk
// bytes; a message is never held in memory whole.
#pragma once
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::local {

constexpr size_t kChunk = 64 * 1024;

struct Message {
  std::string sender;     // "" for the null sender <>
  std::string recipient;  // the final local address, for Delivered-To
  int fd = -1;            // the queue file, open for reading (not owned)
  off_t content_offset = 0;
  unsigned long long content_size = 0;
  // Which delivery this is: the same queue file and recipient record always
  // name the same delivery, so a repeated request can be recognised.
  std::string queue_id;
  off_t recipient_offset = 0;
  long long arrival_sec = 0;
  long arrival_usec = 0;
};

// The two header lines local prepends, each ending in LF. Control
// characters in the addresses become '?' so a hostile envelope cannot
// inject header lines.
std::string delivery_headers(const Message& m);

// Calls sink with consecutive pieces of the content, each at most kChunk
// bytes, reading with pread (the fd's offset is not used, so a forked child
// may share the descriptor). A short file is an error ("truncated").
Status for_each_chunk(const Message& m, const std::function<Status(std::string_view)>& sink);

// Whether the content ends in LF (an empty content counts as ending in LF).
// Mailbox formats need every message to end with a complete line.
Result<bool> ends_in_newline(const Message& m);

// Bytes the message will occupy unquoted (Maildir): headers + content +
// the LF added when the content lacks a final one.
Result<unsigned long long> delivered_size(const Message& m);

}  // namespace buzon::local
