// BDAT (RFC 3030 CHUNKING): the message arrives in chunks of announced
// size, each followed by its reply; "BDAT n LAST" ends it. Chunk bytes are
// content as they are (no dot transparency, no end line), written through
// the same DataReader as DATA, so the queue file is the same.
//
// Postfix's rules and replies:
//  - a count that is not a number, or arguments other than "LAST" after it:
//    521 5.5.4 and the connection closes (Postfix 3.7 does so for any BDAT
//    syntax error: what follows cannot be trusted to be the chunk);
//  - every other refusal (sequence errors, a chunk that would exceed
//    message_size_limit, a zero-size chunk without LAST) is given after the
//    chunk was read and discarded, so pipelined replies stay in order;
//  - once a chunk is refused, the following chunks up to LAST (or RSET)
//    get "551 5.0.0 Discarded N bytes after earlier error" and the message
//    is not queued; this holds for chunks outside a transaction too;
//  - MAIL inside a transaction is "nested"; DATA and RCPT inside a BDAT
//    transaction and MAIL after a refused chunk outside one are 503 5.5.1.
#include <algorithm>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "smtpd/session.h"

namespace buzon::smtpd {
namespace {

struct BdatArgs {
  bool ok = false;  // a count, then nothing or LAST
  unsigned long long count = 0;
  bool last = false;
};

BdatArgs parse_bdat(std::string_view arg) {
  BdatArgs a;
  auto words = str::split(arg, " \t");
  if (words.empty()) return a;
  auto count = str::to_uint(words[0]);
  if (!count) return a;
  a.count = *count;
  if (words.size() == 2 && str::iequals(words[1], "LAST")) a.last = true;
  a.ok = words.size() == 1 || a.last;
  return a;
}

}  // namespace

void Session::cmd_bdat(std::string_view arg) {
  BdatArgs a = parse_bdat(arg);
  if (!a.ok) return close_with("521 5.5.4 Syntax: BDAT count [LAST]");
  chunk_ = Chunk{};
  chunk_.active = true;
  chunk_.size = a.count;
  chunk_.remaining = a.count;
  chunk_.last = a.last;

  if (!chunk_failure_.empty()) {
    chunk_.refusal = "551 5.0.0 Discarded " + std::to_string(a.count) + " bytes after earlier error";
  } else if (!mail_) {
    chunk_.refusal = "503 5.5.1 Error: need RCPT command";
  } else if (mail_->recipients.empty()) {
    chunk_.refusal = "554 5.5.1 Error: no valid recipients";
  } else if (a.count == 0 && !a.last) {
    chunk_.refusal = "551 5.7.1 Null BDAT request";
  } else if (s_.message_size_limit && (chunked_size_ + a.count > s_.message_size_limit ||
                                       a.count > s_.message_size_limit)) {
    chunk_.refusal = "552 5.3.4 Chunk exceeds message size limit";
  } else if (!chunking_) {
    if (!start_content(true)) chunk_.refusal = "451 4.3.0 Error: queue file write error";
    else chunking_ = true;
  }
  // A refused chunk is content lost: the transaction (or, without one,
  // the chunk sequence) fails up to its LAST chunk or RSET.
  if (!chunk_.refusal.empty()) chunk_failure_ = chunk_.refusal;
  if (chunk_.refusal.empty()) chunked_size_ += a.count;
  // BDAT 0 [LAST] has no bytes to wait for.
  if (chunk_.remaining == 0) end_chunk();
}

void Session::take_chunk_bytes(std::string_view bytes) {
  chunk_.remaining -= bytes.size();
  if (chunk_.refusal.empty() && data_) data_->feed_chunk(bytes);
}

void Session::end_chunk() {
  chunk_.active = false;
  last_verb_ = "BDAT";
  if (chunk_.refusal.empty() && data_ && data_->sink_error()) {
    queue_error(*data_->sink_error());
    chunk_.refusal = chunk_failure_ = "451 4.3.0 Error: queue file write error";
  }
  if (!chunk_.refusal.empty()) {
    if (chunk_.refusal[0] == '5' && mail_) log_reject("BDAT", chunk_.refusal);
    reply(chunk_.refusal);
    count(bdat_command_, false);
    // The failed transaction or chunk sequence ends with its LAST chunk.
    if (chunk_.last) reset_transaction();
    return;
  }
  if (!chunk_.last) {
    reply("250 2.0.0 Ok: " + std::to_string(chunk_.size) + " bytes");
    return count(bdat_command_, true);
  }
  data_->finish_chunks();
  end_data(true);
}

}  // namespace buzon::smtpd
