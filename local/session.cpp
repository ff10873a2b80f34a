#include "local/session.h"

#include <sys/socket.h>

#include <cerrno>

#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::local {

Reply handle_request(Deliverer& d, const attr::Message& m) {
  return handle_request([&d](const Request& req) { return d.deliver(req); }, m);
}

Reply handle_request(const Handler& h, const attr::Message& m) {
  auto req = parse_request(m);
  if (!req) {
    auto id = m.get("queue_id");
    log::warning("malformed delivery request" + (id ? " for " + str::sanitize(*id, 32) : std::string()) + ": " +
                 req.error().message);
    return Reply::defer("4.3.0", "malformed delivery request");
  }
  Reply r = h(*req);
  if (!r.warning.empty()) log::warning(req->queue_id + ": " + r.warning);
  return r;
}

Session::Session(event::Loop& loop, Fd fd, Handler handler, std::chrono::milliseconds timeout,
                 std::function<void()> on_done)
    : loop_(loop), fd_(std::move(fd)), handler_(std::move(handler)), timeout_(timeout), on_done_(std::move(on_done)) {
  ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_READ | EV_PERSIST, [this](short w) { on_event(w); });
  ev_->add(timeout_);
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  ev_->del();
  fd_.reset();
  loop_.defer([fn = on_done_] { fn(); });
}

void Session::on_event(short what) noexcept {
  if (closed_) return;
  if (what & EV_TIMEOUT) return close();  // qmgr closes idle channels long before this
  char buf[16384];
  ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) return close();
  reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
  while (!closed_) {
    auto m = reader_.next();
    if (!m) break;
    if (!*m) {
      log::warning("closing qmgr connection: " + m->error().message);
      return close();
    }
    if (!handle(**m)) return close();
  }
}

bool Session::handle(const attr::Message& m) noexcept {
  Reply r = handle_request(handler_, m);
  if (auto s = attr::write_message(fd_.get(), to_message(r), timeout_); !s) {
    log::warning("cannot send reply to qmgr: " + s.error().message);
    return false;
  }
  return true;
}

}  // namespace buzon::local
