// The per-message defer log, defer/ID: one line per deferred delivery
// attempt, "recipient TAB dsn TAB reason LF", appended. The last line for a
// recipient is its current reason (for mailq and, later, delay and bounce
// notices). Tabs and control characters in the fields become spaces so a
// line can always be split back.
#pragma once
#include <optional>
#include <string>
#include <string_view>

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
// Removes queue_dir/defer/ID; a missing file is not an error.
Status remove_defer(const std::string& queue_dir, std::string_view id);

}  // namespace buzon::qmgr
