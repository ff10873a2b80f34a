#include "lib/event/async_fsync.h"

#include <linux/aio_abi.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace buzon::event {

namespace {

// glibc has no wrappers for the kernel's AIO calls (libaio is a thin
// layer over these same system calls).
int io_setup(unsigned nr, aio_context_t* ctx) { return static_cast<int>(::syscall(SYS_io_setup, nr, ctx)); }
int io_destroy(aio_context_t ctx) { return static_cast<int>(::syscall(SYS_io_destroy, ctx)); }
int io_submit(aio_context_t ctx, long n, iocb** iocbs) {
  return static_cast<int>(::syscall(SYS_io_submit, ctx, n, iocbs));
}
int io_getevents(aio_context_t ctx, long min, long max, io_event* events, timespec* timeout) {
  return static_cast<int>(::syscall(SYS_io_getevents, ctx, min, max, events, timeout));
}

}  // namespace

AsyncFsync::AsyncFsync(Loop& loop) : loop_(loop) {
  eventfd_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  aio_context_t ctx = 0;
  if (!eventfd_ || io_setup(kMaxInFlight, &ctx) < 0) return;  // inline fsyncs
  ctx_ = ctx;
  // Watched only while fsyncs are in flight: an idle AsyncFsync must not
  // keep the loop running.
  ev_ = std::make_unique<Event>(loop_, eventfd_.get(), EV_READ | EV_PERSIST, [this](short) { reap(); });
}

AsyncFsync::~AsyncFsync() {
  *alive_ = false;
  if (ev_) ev_->del();
  // io_destroy cancels what it can and waits for the rest: an fsync is not
  // cancelled, so every fd is flushed before the Jobs close it.
  if (ctx_) io_destroy(ctx_);
}

void AsyncFsync::submit(Fd owned, int raw, bool data_only, Done done) {
  if (!ctx_ || jobs_.size() >= kMaxInFlight) return sync_inline(raw, data_only, std::move(done));
  uint64_t id = next_id_++;
  iocb cb{};
  cb.aio_data = id;
  cb.aio_lio_opcode = data_only ? IOCB_CMD_FDSYNC : IOCB_CMD_FSYNC;
  cb.aio_fildes = static_cast<uint32_t>(raw);
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = static_cast<uint32_t>(eventfd_.get());
  iocb* list[1] = {&cb};
  // EINVAL: a kernel without IOCB_CMD_FSYNC, or a file system without
  // fsync for AIO; EAGAIN: no room. Inline then, this time.
  if (io_submit(ctx_, 1, list) != 1) return sync_inline(raw, data_only, std::move(done));
  if (jobs_.empty()) ev_->add();
  jobs_.emplace(id, Job{std::move(owned), std::move(done)});
}

void AsyncFsync::sync_inline(int raw, bool data_only, Done done) {
  int err = (data_only ? ::fdatasync(raw) : ::fsync(raw)) == 0 ? 0 : errno;
  loop_.defer([alive = alive_, done = std::move(done), err] {
    if (*alive) done(err);
  });
}

void AsyncFsync::reap() {
  uint64_t count = 0;
  (void)::read(eventfd_.get(), &count, sizeof count);  // resets the counter
  io_event events[32];
  timespec now{0, 0};
  for (;;) {
    int n = io_getevents(ctx_, 0, 32, events, &now);
    if (n <= 0) break;
    for (int i = 0; i < n; ++i) {
      auto it = jobs_.find(events[i].data);
      if (it == jobs_.end()) continue;
      Done done = std::move(it->second.done);
      jobs_.erase(it);  // closes the fd
      long res = static_cast<long>(events[i].res);
      done(res < 0 ? static_cast<int>(-res) : 0);
    }
    if (n < 32) break;
  }
  if (jobs_.empty()) ev_->del();
}

}  // namespace buzon::event
