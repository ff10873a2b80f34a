#include "local/session.h"

#include <sys/socket.h>

#include <cerrno>
#include <list>

#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::local {

Reply handle_request(Deliverer& d, const attr::Message& m) {
  return handle_request([&d](const Request& req, std::vector<UnsyncedFile>*) { return d.deliver(req); }, m);
}

Reply handle_request(const Handler& h, const attr::Message& m, std::vector<UnsyncedFile>* unsynced) {
  auto req = parse_request(m);
  if (!req) {
    auto id = m.get("queue_id");
    log::warning("malformed delivery request" + (id ? " for " + str::sanitize(*id, 32) : std::string()) + ": " +
                 req.error().message);
    return Reply::defer("4.3.0", "malformed delivery request");
  }
  Reply r = h(*req, unsynced);
  if (!r.warning.empty()) log::warning(req->queue_id + ": " + r.warning);
  return r;
}

Session::Session(event::Loop& loop, Fd fd, Handler handler, std::chrono::milliseconds timeout,
                 std::function<void()> on_done, event::AsyncFsync* fsync, SyncFailed sync_failed)
    : loop_(loop),
      fd_(std::move(fd)),
      handler_(std::move(handler)),
      timeout_(timeout),
      on_done_(std::move(on_done)),
      fsync_(fsync),
      sync_failed_(std::move(sync_failed)) {
  ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_READ | EV_PERSIST, [this](short w) { on_event(w); });
  ev_->add(timeout_);
}

void Session::close() {
  if (closed_) return;
  if (unsynced_left_ > 0) {
    // Stop or reload in the middle of a delivery: its reply goes out
    // first, or qmgr would retry a delivery that is done.
    close_after_reply_ = true;
    return;
  }
  closed_ = true;
  ev_->del();
  fd_.reset();
  maybe_done();
}

// After the close, once the session can be deleted.
void Session::maybe_done() {
  if (!closed_ || done_) return;
  done_ = true;
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
  handle_buffered();
}

void Session::handle_buffered() noexcept {
  // qmgr sends the next request only after our reply: none is handled
  // while a delivery's files are being synced.
  while (!closed_ && unsynced_left_ == 0) {
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
  std::vector<UnsyncedFile> files;
  Reply r = handle_request(handler_, m, fsync_ ? &files : nullptr);
  if (files.empty()) return send(r);
  held_ = std::move(r);
  syncing_ = std::move(files);
  unsynced_left_ = syncing_.size();
  ev_->del();  // until the reply is sent
  for (size_t i = 0; i < syncing_.size(); ++i)
    fsync_->sync(std::move(syncing_[i].fd), [this, i](int err) { synced(i, err); });
  return true;
}

void Session::synced(size_t i, int err) noexcept {
  if (err != 0) {
    Reply failed = sync_failed_(syncing_[i], err);
    if (!failed.warning.empty()) log::warning(failed.warning);
    // One deferral defers the recipient, as a failure in deliver() would.
    if (held_.status != 4) held_ = std::move(failed);
  }
  if (--unsynced_left_ > 0) return;
  syncing_.clear();
  if (!send(held_) || close_after_reply_) return close();
  ev_->add(timeout_);
  // A request that came with the last one's bytes (qmgr never pipelines,
  // but the framing allows it) is handled now, not at the next read.
  handle_buffered();
}

bool Session::send(const Reply& r) noexcept {
  if (auto s = attr::write_message(fd_.get(), to_message(r), timeout_); !s) {
    log::warning("cannot send reply to qmgr: " + s.error().message);
    return false;
  }
  return true;
}

void serve_sessions(daemon::Context& ctx, int client_limit, const Handler& handler,
                    std::chrono::milliseconds timeout, const SyncFailed& sync_failed) {
  event::Loop loop;
  std::unique_ptr<event::AsyncFsync> fsync;
  if (sync_failed) fsync = std::make_unique<event::AsyncFsync>(loop);
  std::list<std::unique_ptr<Session>> sessions;
  std::unique_ptr<daemon::Server> server;
  server = std::make_unique<daemon::Server>(loop, ctx, client_limit, [&](Fd client) {
    auto it = sessions.emplace(sessions.end());
    *it = std::make_unique<Session>(
        loop, std::move(client), handler, timeout,
        [&, it] {
          loop.defer_delete(std::move(*it));
          sessions.erase(it);
          server->client_done();
        },
        fsync.get(), sync_failed);
  });
  server->on_stop([&](daemon::Server::Stop) {
    for (auto& s : sessions)
      if (s) s->close();
  });
  loop.run();
}

}  // namespace buzon::local
