#include "qmgr/trigger.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace buzon::qmgr {

bool trusted_trigger_peer(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return false;
  return cred.uid == 0 || cred.uid == ::geteuid();
}

TriggerClient::TriggerClient(event::Loop& loop, Fd fd, bool trusted, std::chrono::milliseconds timeout,
                             std::function<void(char)> on_byte, std::function<void()> on_done)
    : loop_(loop), fd_(std::move(fd)), on_byte_(std::move(on_byte)), on_done_(std::move(on_done)), trusted_(trusted) {
  ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_READ | EV_PERSIST, [this](short w) { on_event(w); });
  if (trusted_) ev_->add();
  else ev_->add(timeout);
}

void TriggerClient::close() {
  if (closed_) return;
  closed_ = true;
  ev_->del();
  fd_.reset();
  loop_.defer([fn = on_done_] { fn(); });
}

void TriggerClient::on_event(short what) noexcept {
  if (closed_) return;
  if (what & EV_TIMEOUT) return close();
  // A trusted client's bytes of many messages are taken in one read.
  char buf[512];
  size_t want = trusted_ ? sizeof buf : kTriggerBytes - seen_;
  ssize_t n = ::recv(fd_.get(), buf, want, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) return close();
  for (ssize_t i = 0; i < n; ++i) on_byte_(buf[i]);
  seen_ += static_cast<size_t>(n);
  if (!trusted_ && seen_ >= kTriggerBytes) close();
}

}  // namespace buzon::qmgr
