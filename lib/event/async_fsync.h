// AsyncFsync - fsync(2) without blocking the event loop or starting a thread.
// Linux AIO runs an IOCB_CMD_FSYNC in a kernel worker (vfs_fsync, the same
// flush as fsync(2); Linux 4.18 and later) and posts its completion to an
// eventfd, which the loop watches. Why not threads: local switches its
// effective ids per delivery, and glibc makes every thread of the process
// take part in that switch (setxid broadcast), waiting for a thread that
// sits in fsync; kernel workers are not our threads.
//
// Where AIO is unavailable (io_setup fails: no kernel support, a seccomp
// filter, aio-max-nr reached) or refuses the request, the fsync runs inline
// instead: slower, never weaker. Either way done runs later, from the loop,
// never from inside sync().
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "lib/core/fd.h"
#include "lib/event/event.h"

namespace buzon::event {

class AsyncFsync {
 public:
  // err is 0 or the errno of the failed fsync.
  using Done = std::function<void(int err)>;
  static constexpr unsigned kMaxInFlight = 256;

  explicit AsyncFsync(Loop& loop);
  // Waits for the fsyncs in flight (their done is not called).
  ~AsyncFsync();
  AsyncFsync(const AsyncFsync&) = delete;
  AsyncFsync& operator=(const AsyncFsync&) = delete;

  // Flushes fd (kept open until then) and calls done once, from the loop.
  void sync(Fd fd, Done done) {
    int raw = fd.get();
    submit(std::move(fd), raw, false, std::move(done));
  }
  // fdatasync of a descriptor that stays the caller's: it must stay open
  // until done runs.
  void datasync(int fd, Done done) { submit(Fd(), fd, true, std::move(done)); }
  // False when fsyncs run inline (no AIO here).
  bool async() const { return ctx_ != 0; }
  size_t in_flight() const { return jobs_.size(); }

 private:
  // owned, when valid, is closed once the flush is over; raw is flushed.
  void submit(Fd owned, int raw, bool data_only, Done done);
  void sync_inline(int raw, bool data_only, Done done);
  void reap();  // eventfd readable: collect completions, run their done

  struct Job {
    Fd fd;
    Done done;
  };
  Loop& loop_;
  unsigned long ctx_ = 0;  // aio_context_t; 0 = no AIO
  Fd eventfd_;
  std::unique_ptr<Event> ev_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Job> jobs_;
  // Inline results wait in the loop; they must not run once we are gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace buzon::event
