#include "qmgr/trigger.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lib/queue/queue.h"

namespace buzon::qmgr {

bool trusted_trigger_peer(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return false;
  return cred.uid == 0 || cred.uid == ::geteuid();
}

std::optional<Trigger> TriggerParser::feed(char c) {
  if (!in_name_) {
    if (c == 'W') return Trigger{Trigger::Wake, {}};
    if (c == 'F') return Trigger{Trigger::Flush, {}};
    if (c == 'I') {
      in_name_ = true;
      too_long_ = false;
      name_.clear();
    }
    return std::nullopt;
  }
  if (c != '\n') {
    // No queue ID is this long: the rest is not kept, only skipped.
    if (name_.size() < queue::kIdSize) name_ += c;
    else too_long_ = true;
    return std::nullopt;
  }
  in_name_ = false;
  if (too_long_ || !queue::id_ok(name_)) return Trigger{Trigger::Wake, {}};
  return Trigger{Trigger::Named, std::move(name_)};
}

TriggerClient::TriggerClient(event::Loop& loop, Fd fd, bool trusted, std::chrono::milliseconds timeout,
                             std::function<void(const Trigger&)> on_trigger, std::function<void()> on_done)
    : loop_(loop),
      fd_(std::move(fd)),
      on_trigger_(std::move(on_trigger)),
      on_done_(std::move(on_done)),
      trusted_(trusted) {
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
  if (n <= 0) {
    if (trusted_) on_trigger_(Trigger{Trigger::Wake, {}});
    return close();
  }
  for (ssize_t i = 0; i < n; ++i)
    if (auto t = parser_.feed(buf[i])) on_trigger_(*t);
  seen_ += static_cast<size_t>(n);
  if (!trusted_ && seen_ >= kTriggerBytes) close();
}

}  // namespace buzon::qmgr
