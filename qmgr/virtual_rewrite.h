// virtual_alias_maps for queued mail. Postfix's cleanup rewrites the
// recipients before a message is first queued; here smtpd queues them as
// received and qmgr rewrites the queue file once, when the message first
// becomes active, before any recipient is routed:
//
//   every pending recipient is expanded (lib/virtual: recursive, with
//   virtual_alias_recursion_limit and virtual_alias_expansion_limit); when
//   any expansion differs from the recipient itself, a new file with the
//   same queue ID, arrival time, sender, attributes and content replaces
//   active/ID (tmp/ID, fsync, rename, fsync of active/). Each new
//   recipient keeps the DSN request of the one it replaces and its
//   original address (the O record, for orig_to= and ORCPT-less DSNs);
//   recipients already done are dropped, duplicates are written once.
//   The new file carries the attribute kExpandedAttr, so it is never
//   expanded twice (an alias listing itself would grow on every pass).
//
// Durability: until the rename the old file is the message; after it the
// new one. A crash in between expands again from the old file.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"
#include "lib/queue/queue.h"
#include "lib/virtual/virtual.h"

namespace buzon::qmgr {

using virt::kExpandedAttr;

// Rewrites queue_dir/dir/ID (env is its envelope) as described above.
// Returns true when the file was replaced (the caller reads it again),
// false when no recipient changed or the file was expanded before. Errors:
// a table failure or an expansion limit (the caller defers the message, as
// Postfix does), or an I/O error; the old file is then untouched.
Result<bool> rewrite_virtual_aliases(const std::string& queue_dir, std::string_view dir, const queue::Envelope& env,
                                     virt::Aliases& aliases);

}  // namespace buzon::qmgr
