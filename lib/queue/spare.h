// Spare queue files. qmgr keeps the file of a finished message as a spare
// instead of unlinking it, and Writer::create takes a spare before it
// creates a file. Why: every inode freed and allocated is kernel work, and
// on ext4 without a journal each allocation also scans past every inode
// freed in the last minutes (fs/ext4/ialloc.c, recently_deleted()). With one
// queue file freed per message that scan was about half of smtpd's and
// local's CPU at 900 msg/s (perf, session 9 of issue 7). A file that is
// never freed costs neither.
//
// Spares live in tmp/ as "spare.N", N in [0, kSpareSlots): a ring that the
// keeper (qmgr) fills and takers (smtpd) empty, each with a cursor, so that
// neither lists a directory. The names are not queue IDs: nothing that
// lists the queue (qmgr, its temp purge, mailq) sees them. A taker writes
// its message into the spare where it lies, under its lock, and renames it
// into incoming/ when complete: one rename per message fewer than a move to
// tmp/ID first. A spare holds no message: it is emptied when kept and
// again when taken, each time under its lock (the keeper's taken before
// the file gets its slot's name), so a keeper never empties a file a taker
// has begun to write; what a killed taker wrote is emptied by the next.
#pragma once
#include <optional>
#include <string>

#include "lib/core/fd.h"

namespace buzon::queue {

constexpr unsigned kSpareSlots = 256;

// Makes `path`, the file of a finished message, a spare in queue_dir/tmp;
// false when the slots tried were all taken (the ring is full), the file
// could not be locked or the rename failed: the caller then unlinks the
// file as before.
bool keep_spare(const std::string& queue_dir, const std::string& path);

struct Spare {
  Fd fd;
  std::string path;  // queue_dir/tmp/spare.N
};

// A spare open for writing, empty and locked (LOCK_EX) as a new queue file
// is; nullopt when the slots tried held none that no one else had locked.
std::optional<Spare> take_spare(const std::string& queue_dir);

// Where a new process starts keeping and taking: after the spares a
// process before it left (one listing of tmp/), the keeper at the end of
// the run of spares, the taker at its start. Cursors both at 0 would have
// the keeper chase the taker through a ring it only believes full.
void find_spare_cursors(const std::string& queue_dir);

}  // namespace buzon::queue
