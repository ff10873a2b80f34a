#include "lib/anvil/client.h"

#include <sys/socket.h>

#include <cerrno>

namespace buzon::anvil {

Client::Client(event::Loop& loop, std::string socket_path, std::chrono::milliseconds timeout)
    : loop_(loop), path_(std::move(socket_path)), timeout_(timeout) {
  timeout_ev_ = std::make_unique<event::Event>(loop_, -1, 0, [this](short) { fail_all(Error{"anvil: timeout"}); });
}

Client::~Client() { *alive_ = false; }

Status Client::ensure_connected() {
  if (fd_) return {};
  auto fd = attr::connect_unix(path_, true);
  if (!fd) return Error{"connect " + path_ + ": " + fd.error().message, fd.error().sys_errno};
  fd_ = std::move(*fd);
  read_ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_READ | EV_PERSIST, [this](short) { on_read(); });
  write_ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_WRITE, [this](short) { on_write(); });
  read_ev_->add();
  return {};
}

Client::Ticket Client::request(const attr::Message& m, Done done) {
  const Ticket t = next_++;
  if (pending_.size() >= kPendingMax) {
    complete(t, std::move(done), Error{"anvil: too many requests in flight"});
    return t;
  }
  if (auto st = ensure_connected(); !st) {
    complete(t, std::move(done), Error{"anvil: " + st.error().message, st.error().sys_errno});
    return t;
  }
  out_ += m.encode();
  pending_.push_back({t, std::move(done)});
  if (pending_.size() == 1) arm_timeout();
  flush();
  return t;
}

void Client::cancel(Ticket t) {
  for (auto& p : pending_)
    if (p.ticket == t) p.done = nullptr;
  for (auto& r : ready_)
    if (r.ticket == t) r.done = nullptr;
}

void Client::complete(Ticket t, Done done, Result<attr::Message> r) {
  if (!done) return;
  ready_.push_back({t, std::move(done), std::move(r)});
  if (deliver_scheduled_) return;
  deliver_scheduled_ = true;
  loop_.defer([this, alive = alive_] {
    if (*alive) deliver();
  });
}

void Client::deliver() {
  deliver_scheduled_ = false;
  while (!ready_.empty()) {
    Ready r = std::move(ready_.front());
    ready_.pop_front();
    if (r.done) r.done(std::move(r.result));  // may request() or cancel()
  }
}

void Client::arm_timeout() {
  if (pending_.empty()) timeout_ev_->del();
  else timeout_ev_->add(timeout_);
}

void Client::flush() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      write_ev_->add();
      return;
    }
    return fail_all(Error{"anvil: " + sys_error("send").message});
  }
}

void Client::on_write() {
  if (fd_) flush();
}

void Client::on_read() {
  char buf[4096];
  bool gone = false;
  std::string why;
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    gone = true;
    why = n == 0 ? "anvil: connection closed" : "anvil: " + sys_error("recv").message;
    break;
  }
  // Complete replies count even when the connection closed behind them.
  while (auto m = reader_.next()) {
    if (!*m) return fail_all(Error{"anvil: " + m->error().message});
    if (pending_.empty()) return fail_all(Error{"anvil: reply without a request"});
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    complete(p.ticket, std::move(p.done), std::move(**m));
  }
  if (gone) return fail_all(Error{why});
  arm_timeout();
}

void Client::fail_all(const Error& e) {
  // The stream is in an unknown state: drop it; the next request connects
  // again (anvil forgets this connection's open clients when it closes).
  // The events may be the caller of this: they are freed from the loop.
  if (read_ev_) {
    read_ev_->del();
    loop_.defer_delete(std::move(read_ev_));
  }
  if (write_ev_) {
    write_ev_->del();
    loop_.defer_delete(std::move(write_ev_));
  }
  fd_.reset();
  reader_ = attr::Reader();
  out_.clear();
  timeout_ev_->del();
  std::deque<Pending> failed;
  failed.swap(pending_);
  for (auto& p : failed) complete(p.ticket, std::move(p.done), e);
}

}  // namespace buzon::anvil
