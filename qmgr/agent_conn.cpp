#include "qmgr/agent_conn.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace buzon::qmgr {

AgentConn::AgentConn(event::Loop& loop, Fd fd, std::chrono::milliseconds timeout, std::chrono::milliseconds idle,
                     OnReply on_reply, OnDead on_dead)
    : loop_(loop),
      fd_(std::move(fd)),
      timeout_(timeout),
      idle_(idle),
      on_reply_(std::move(on_reply)),
      on_dead_(std::move(on_dead)) {
  read_ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_READ | EV_PERSIST, [this](short w) { on_io(w); });
  write_ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_WRITE | EV_PERSIST, [this](short) { flush_out(); });
  timer_ = std::make_unique<event::Event>(loop_, -1, 0, [this](short) { on_timer(); });
  read_ev_->add();
}

AgentConn::~AgentConn() = default;

void AgentConn::send(const attr::Message& request) {
  busy_ = true;
  got_bytes_ = false;
  ++requests_;
  out_ = request.encode();
  out_at_ = 0;
  timer_->del();
  timer_->add(timeout_);
  flush_out();
}

void AgentConn::flush_out() noexcept {
  while (out_at_ < out_.size()) {
    ssize_t n = ::send(fd_.get(), out_.data() + out_at_, out_.size() - out_at_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_at_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_ev_->pending()) write_ev_->add();
      return;
    }
    write_ev_->del();
    // EPIPE/ECONNRESET: the agent went away before it read the request.
    return fail(errno == EPIPE || errno == ECONNRESET ? Failure::Closed : Failure::Broken,
                std::string("send: ") + std::strerror(errno));
  }
  write_ev_->del();
  out_.clear();
  out_at_ = 0;
}

void AgentConn::on_io(short) noexcept {
  char buf[4096];
  ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (!busy_) {
    // Idle: the agent has nothing to say; EOF or bytes both end the channel.
    read_ev_->del();
    timer_->del();
    return on_dead_(this);
  }
  if (n == 0) return fail(Failure::Closed, "connection closed by delivery agent");
  if (n < 0)
    return fail(errno == ECONNRESET ? Failure::Closed : Failure::Broken, std::string("recv: ") + std::strerror(errno));
  got_bytes_ = true;
  reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
  auto m = reader_.next();
  if (!m) return;
  if (!*m) return fail(Failure::Broken, "malformed reply: " + m->error().message);
  busy_ = false;
  timer_->del();
  go_idle();
  on_reply_(this, Failure::None, std::move(*m));
}

void AgentConn::on_timer() noexcept {
  if (busy_) return fail(Failure::Timeout, "timeout waiting for the delivery agent");
  read_ev_->del();
  on_dead_(this);
}

void AgentConn::go_idle() noexcept { timer_->add(idle_); }

void AgentConn::fail(Failure f, const std::string& why) noexcept {
  busy_ = false;
  read_ev_->del();
  write_ev_->del();
  timer_->del();
  on_reply_(this, f, Error{why});
}

}  // namespace buzon::qmgr
