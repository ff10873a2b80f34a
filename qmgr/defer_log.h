// The per-message defer log, defer/ID: one line per deferred delivery
// attempt, "recipient TAB dsn TAB reason LF", appended. The last line for a
// recipient is its current reason (for mailq and, later, delay and bounce
// notices). Tabs and control characters in the fields become spaces so a
// line can always be split back.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::qmgr {

struct DeferEntry {
  std::string recipient;
  std::string dsn;
  std::string reason;
};

std::string format_defer_line(const DeferEntry& e);
// nullopt for a line that is not three tab-separated fields.
std::optional<DeferEntry> parse_defer_line(std::string_view line);

// Appends one line to queue_dir/defer/ID (created 0600) and fsyncs it, so
// the reason is on disk before the message moves to deferred/.
Status append_defer(const std::string& queue_dir, std::string_view id, const DeferEntry& e);
// The whole defer log of a message (malformed lines skipped); an empty list
// when there is none. Reads at most kDeferLogMax bytes.
constexpr size_t kDeferLogMax = 1 << 20;
Result<std::vector<DeferEntry>> read_defer(const std::string& queue_dir, std::string_view id);

// The line that records a sent delay warning (delay_warning_time): an entry
// with an empty recipient, which matches no recipient in mailq.
DeferEntry delay_warned_entry();
bool delay_warned(const std::vector<DeferEntry>& log);

// Removes queue_dir/defer/ID; a missing file is not an error.
Status remove_defer(const std::string& queue_dir, std::string_view id);

}  // namespace buzon::qmgr
