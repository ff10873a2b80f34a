// JournalKeeper - qmgr's side of the queue journal (lib/queue/journal.h).
//
// Retiring. A segment no smtpd holds (sealed, or its writer died) has done
// its job once every message in it is either gone from the queue
// (delivered, returned, deleted) or durable in its own queue file. qmgr
// fsyncs the files still there (rare: mail that waits), removes the segment
// and fsyncs journal/, every kSweepInterval.
//
// Recovering. A segment written under another boot ID has lived through a
// crash or a reboot, and the queue files of its messages were never
// fsync'ed: on disk one may be missing, empty, or hold another message's
// blocks. At qmgr's start, before the first delivery, every record of such
// a segment restores its file: written anew into incoming/ when no queue
// directory has one, or over a file that differs from it by more than
// recipients marked done (R -> X). A message that was delivered before the
// crash, and whose file was recycled, is thus delivered again: a duplicate
// after a crash, as with Postfix, whose removals are not fsync'ed either;
// `buzon stop` leaves no segment (master syncs the queue and removes them),
// so a clean reboot restores nothing.
//
// The first record whose content fails its CRC ends the recovery of its
// segment (lib/queue/journal.h says why nothing after it was acknowledged).
#pragma once
#include <chrono>
#include <string>

#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/event.h"
#include "lib/queue/journal.h"

namespace buzon::qmgr {

constexpr std::chrono::milliseconds kSweepInterval{1000};
// More live files than this in a segment: one syncfs instead of an fsync each.
constexpr size_t kFsyncEachMax = 8;

struct SweepResult {
  size_t retired = 0;   // segments removed
  size_t restored = 0;  // queue files written from a record
};

// One pass over queue_dir/journal/ (queue_dir is qmgr's working directory,
// "."); boot is the running kernel's boot ID.
SweepResult sweep_journal(const std::string& queue_dir, const queue::BootId& boot);

class JournalKeeper {
 public:
  JournalKeeper(event::Loop& loop, std::string queue_dir);
  // Sweeps now (recovery included) and then every kSweepInterval.
  void start();

 private:
  std::string queue_dir_;
  queue::BootId boot_{};
  event::Event timer_;
};

}  // namespace buzon::qmgr
