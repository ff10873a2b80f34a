#include "lib/queue/qmgr_waker.h"

#include <sys/socket.h>

#include <cerrno>

#include "lib/attr/attr.h"

namespace buzon::queue {

Status QmgrWaker::send(const std::string& trigger) {
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!fd_) {
      auto fd = attr::connect_unix(queue_dir_ + "/public/qmgr", /*nonblocking=*/true);
      if (!fd) return fd.error();
      fd_ = std::move(*fd);
    }
    ssize_t n = ::send(fd_.get(), trigger.data(), trigger.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(trigger.size())) return {};
    if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
      // A full socket buffer: qmgr has triggers yet to read. Closing makes
      // it scan incoming/ once it has read them, this message's file
      // included; a trigger cut short is then not misread either.
      fd_.reset();
      return {};
    }
    last = sys_error("write " + queue_dir_ + "/public/qmgr");
    fd_.reset();  // qmgr closed it (restarted, or does not keep ours): a new one
  }
  return last;
}

}  // namespace buzon::queue
