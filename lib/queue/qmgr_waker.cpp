#include "lib/queue/qmgr_waker.h"

#include <sys/socket.h>

#include <cerrno>

#include "lib/attr/attr.h"

namespace buzon::queue {

Status QmgrWaker::wake(char what) {
  std::lock_guard lock(mu_);
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!fd_) {
      auto fd = attr::connect_unix(queue_dir_ + "/public/qmgr", /*nonblocking=*/true);
      if (!fd) return fd.error();
      fd_ = std::move(*fd);
    }
    if (::send(fd_.get(), &what, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) return {};
    // A full socket buffer holds bytes qmgr has yet to read: it wakes for
    // them, and scans incoming/ after this message got there.
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
    last = sys_error("write " + queue_dir_ + "/public/qmgr");
    fd_.reset();  // qmgr closed it (restarted, or does not keep ours): a new one
  }
  return last;
}

}  // namespace buzon::queue
