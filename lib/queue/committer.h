// Committer - commits queue files without blocking the event loop on
// their fsync. Writer::commit() costs an fsync (0.3-2 ms here, more on an
// ordinary disk); done inline it would stall every other session of the
// process. Here the loop writes the end record and renames the file into
// incoming/ (page-cache work), and the fsync runs in a kernel worker
// (event::AsyncFsync, Linux AIO) that posts its completion to the loop.
// Many commits are in flight at once, and the file system folds concurrent
// fsyncs into one journal commit. The 250 reply waits for done(ok), so
// the guarantee is unchanged: 250 means the file and its name are on disk.
//
// With a journal (the queue directory given), the fsync of each file gives
// way to a copy of it in smtpd's journal segment and one fdatasync for
// every commit waiting at that moment (lib/queue/journal_writer.h); a file
// the journal cannot take is fsync'ed as above.
//
// Why not a pool of threads, as before: each commit then woke a thread
// (futex), waited in it and woke the loop back (eventfd). Without them
// smtpd switches context 5.7 times per message instead of 12.5, and is
// one thread.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "lib/event/async_fsync.h"
#include "lib/event/event.h"
#include "lib/queue/journal_writer.h"
#include "lib/queue/queue.h"

namespace buzon::queue {

class Committer {
 public:
  using Done = std::function<void(Status)>;
  using Ticket = uint64_t;
  using Published = std::function<void(const std::string& id)>;

  // on_published, when given, runs for each message (given its queue ID)
  // the moment it is in incoming/, before its fsync: telling qmgr then
  // lets the delivery overlap the fsync (a message delivered whose fsync
  // then fails gets a 4xx, and a client's retry makes a duplicate at
  // worst, never a loss).
  // journal_queue_dir: the queue directory whose journal/ takes the
  // commits; empty for an fsync of each file.
  explicit Committer(event::Loop& loop, Published on_published = {}, std::string journal_queue_dir = {});
  // Waits for the fsyncs in flight (their done is not called).
  ~Committer() = default;
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Takes a Writer whose content is complete and calls done once, from the
  // loop (never from inside commit), when the message is durable in
  // incoming/ or the commit failed.
  Ticket commit(Writer&& w, Done done);
  // The caller went away (client disconnected): done will not be called.
  // The commit itself still completes. A finished or unknown ticket is ignored.
  void forget(Ticket t) { pending_.erase(t); }

 private:
  void finish(Ticket t, Status st);
  void fsync_file(Ticket t, Fd fd, const std::string& id);

  event::Loop& loop_;
  Published on_published_;
  Ticket next_ticket_ = 1;
  std::unordered_map<Ticket, Done> pending_;
  std::unique_ptr<JournalWriter> journal_;
  // Last: destroyed first, it waits for the fsyncs in flight while the
  // rest is still there.
  event::AsyncFsync fsync_;
};

}  // namespace buzon::queue
