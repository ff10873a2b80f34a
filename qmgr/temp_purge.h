// Removing temporary queue files that a killed writer left in tmp/ (a
// smtpd killed in the middle of DATA, a qmgr killed while writing a
// notice): they are no one's mail (the client never got 250; the notice
// is written again because its recipients were not settled), but they
// would stay forever. Postfix's postsuper -p does the same.
//
// A file is stale when its Writer's flock (queue::Writer) can be taken and
// it was last written kTempMinAge or more ago; the age covers the moment
// between a writer's open and its flock.
#pragma once
#include <chrono>
#include <ctime>
#include <string>

namespace buzon::qmgr {

constexpr std::chrono::seconds kTempMinAge{10};

// Removes the stale files of queue_dir/tmp (queue ID names only) and logs
// each; returns how many were removed.
size_t purge_stale_temp(const std::string& queue_dir, std::time_t now);

}  // namespace buzon::qmgr
