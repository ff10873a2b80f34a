// The queue directories as qmgr sees them: listing queue files in arrival
// order, moving them between incoming/, active/, deferred/ and corrupt/,
// and the next-attempt time kept as the mtime of deferred files.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::qmgr {

// Queue IDs in queue_dir/dir, sorted (queue ID order is arrival order).
// Names that are not queue IDs (editor droppings, an attacker's "../x")
// are skipped, never opened.
Result<std::vector<std::string>> list_queue(const std::string& queue_dir, std::string_view dir);

// rename(queue_dir/from/id, queue_dir/to/id). A rename within one file
// system is atomic: a crash leaves the file in exactly one of the two.
Status move_file(const std::string& queue_dir, std::string_view from, std::string_view to, std::string_view id);

// Sets the mtime (and atime) of a queue file to when.
Status set_time(const std::string& path, long long when);
Result<long long> mtime_of(const std::string& path);

}  // namespace buzon::qmgr
