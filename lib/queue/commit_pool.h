// CommitPool - commits queue files off the event loop, with group commit.
// Writer::commit() costs an fsync, about 2 ms on an ordinary disk; done
// inline it stalls every other session of the process. Here the commits
// run on worker threads in parallel, and the filesystem folds concurrent
// fsyncs into one journal commit. The 250 reply waits for done(ok), so the
// guarantee is unchanged: 250 means the file and its name are on disk.
//
// Threads touch only the Writers handed to them; done callbacks run on the
// loop's thread.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "lib/queue/queue.h"

namespace buzon::queue {

class CommitPool {
 public:
  using Done = std::function<void(Status)>;
  using Ticket = uint64_t;
  using Published = std::function<void(const std::string& id)>;
  static constexpr unsigned kDefaultThreads = 8;

  // on_published, when given, runs on a worker thread for each message
  // (given its queue ID) the moment it is in incoming/, before its fsync:
  // telling qmgr then
  // lets the delivery overlap the fsync (a message delivered whose fsync
  // then fails gets a 4xx, and a client's retry makes a duplicate at
  // worst, never a loss). It must be thread-safe.
  explicit CommitPool(event::Loop& loop, unsigned threads = kDefaultThreads, Published on_published = {});
  // Waits for the commits in flight (they complete; their done is not
  // called); commits not yet started are abandoned (their tmp/ files removed).
  ~CommitPool();
  CommitPool(const CommitPool&) = delete;
  CommitPool& operator=(const CommitPool&) = delete;

  // Takes a Writer whose content is complete and calls done once, from the
  // loop, when the message is durable in incoming/ or the commit failed.
  Ticket commit(Writer&& w, Done done);
  // The caller went away (client disconnected): done will not be called.
  // The commit itself still completes. A finished or unknown ticket is ignored.
  void forget(Ticket t) { pending_.erase(t); }

 private:
  struct Job {
    Ticket ticket;
    Writer writer;
    Status status;
  };
  void work();  // worker threads: Writer::commit()
  void finish(std::unique_ptr<Job> job);  // from a worker thread
  void on_finished(); // on the loop: run done callbacks

  event::Loop& loop_;
  Published on_published_;
  Fd wake_;  // eventfd: finished jobs are waiting for the loop
  std::unique_ptr<event::Event> wake_ev_;
  Ticket next_ticket_ = 1;
  std::unordered_map<Ticket, Done> pending_;  // loop thread only

  std::mutex mu_;
  std::condition_variable work_cv_;
  bool stopping_ = false;  // workers: finish the job in hand, then exit
  std::deque<std::unique_ptr<Job>> waiting_;    // not started
  std::vector<std::unique_ptr<Job>> finished_;  // for the loop
  std::vector<std::thread> threads_;
};

}  // namespace buzon::queue
