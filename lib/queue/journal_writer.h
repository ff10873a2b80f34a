// JournalWriter - smtpd's side of the queue journal (lib/queue/journal.h):
// appends committed queue files to this process's open segment and calls
// each message's done once an fdatasync that began after its record was
// written has ended. While one fdatasync runs, the records that arrive
// wait for the next one, which then covers them all: with 10 sessions
// committing at once, one flush serves several messages, and no queue file
// of its own needs an fsync (data, inode, directory entry: three block
// writes and a cache flush each).
//
// A segment is this process's alone while it holds the segment's flock.
// It is sealed (closed, the lock released, its syncs over) when it is full
// (kSegmentSize) or a second after its first record, so that qmgr can
// retire it soon (qmgr/journal_keeper.h).
#pragma once
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/async_fsync.h"
#include "lib/event/event.h"
#include "lib/queue/journal.h"

namespace buzon::queue {

constexpr size_t kSegmentSize = 4 << 20;
constexpr std::chrono::milliseconds kSegmentAge{1000};

class JournalWriter {
 public:
  // err is 0 or the errno of the failed fdatasync.
  using Done = std::function<void(int err)>;

  JournalWriter(event::Loop& loop, std::string queue_dir);
  // Waits for the fdatasyncs in flight (their done is not called).
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Appends a copy of the complete queue file fd (message id) and calls
  // done once, from the loop, when it is on disk. An error means nothing
  // was appended and done will not be called: the caller fsyncs the file
  // itself (a file over kRecordContentMax bytes, no journal directory, a
  // full disk).
  Status append(int fd, const std::string& id, Done done);

 private:
  struct Segment {
    Fd fd;
    uint64_t serial = 0;
    uint64_t end = 0;          // where the next record goes
    bool syncing = false;      // an fdatasync is in flight
    std::vector<Done> waiting;  // written, not covered by the one in flight
    std::vector<Done> covered;  // covered by the one in flight
  };
  Status open_segment();
  void seal();                // the current segment takes no more records
  void start_sync(Segment* s);
  void synced(Segment* s, int err);
  void close_if_done(Segment* s);

  std::string dir_;
  std::optional<BootId> boot_;  // none: no journal (each file is fsync'ed)
  std::unique_ptr<Segment> current_;
  std::list<std::unique_ptr<Segment>> sealed_;  // until their last fdatasync ends
  std::string buf_;
  event::Event age_timer_;
  // Last: destroyed first, it waits for the fdatasyncs in flight while
  // the segments they flush are still open.
  event::AsyncFsync fsync_;
};

}  // namespace buzon::queue
