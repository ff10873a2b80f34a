// The mail queue as mailq(1) / buzon queue show it: every message in
// incoming/, active/, deferred/ and hold/, read straight from the queue
// files (lib/queue), with the delay reasons that qmgr wrote to defer/ID.
// Unreadable or corrupt files produce a warning, never an abort: the
// listing is what an administrator runs when things are already wrong.
//
// LIMITS  kDeferLogMax bytes of defer/ID are read per message.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

constexpr size_t kDeferLogMax = 1 << 20;

// The queues listed, in the order shown, with the mark that Postfix's mailq
// puts after the queue ID.
struct ListedQueue {
  const char* name;
  char mark;  // ' ' none, '*' active, '!' hold
};
inline constexpr ListedQueue kListedQueues[] = {
    {"incoming", ' '}, {"active", '*'}, {"deferred", ' '}, {"hold", '!'}};

struct QueuedRecipient {
  std::string address;
  std::string delay_reason;  // from defer/ID; "" when none
};

struct QueuedMessage {
  std::string id;
  std::string queue_name;
  char mark = ' ';
  long long arrival_time = 0;  // seconds since the epoch
  unsigned long long message_size = 0;
  std::string sender;  // "" = null sender
  std::vector<QueuedRecipient> recipients;  // pending ones only
};

struct QueueListing {
  std::vector<QueuedMessage> messages;
  std::vector<std::string> warnings;  // one line each, without a prefix
};

// Scans queue_dir. Fails only when queue_dir itself cannot be read; a
// missing subdirectory is an empty queue.
Result<QueueListing> scan_queue(const std::string& queue_dir);

// Parses the per-message defer log: lines "recipient TAB dsn TAB reason".
// Returns recipient -> reason pairs (the last line for a recipient wins is
// the caller's choice: lookups use the last match). Malformed lines are
// skipped.
std::vector<std::pair<std::string, std::string>> parse_defer_log(std::string_view text);

// Postfix mailq layout (arrival time in local time).
std::string format_mailq(const std::vector<QueuedMessage>& messages);
// One JSON object per line, as postqueue -j.
std::string format_json(const std::vector<QueuedMessage>& messages);

}  // namespace buzon::cli
