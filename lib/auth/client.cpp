#include "lib/auth/client.h"

#include <sys/socket.h>

#include <cerrno>

namespace buzon::auth {

Client::Client(event::Loop& loop, std::string socket_path, std::chrono::milliseconds timeout)
    : loop_(loop), path_(std::move(socket_path)), timeout_(timeout) {}

Client::~Client() { close(); }

void Client::close() {
  ev_.reset();
  fd_.reset();
  reader_ = attr::Reader();
  done_ = nullptr;
}

void Client::request(const attr::Message& m, Done done) {
  if (done_) {
    loop_.defer([done = std::move(done)] { done(Error{"authd: request already in progress"}); });
    return;
  }
  if (!fd_) {
    auto fd = attr::connect_unix(path_, true);
    if (!fd) {
      Error e{"authd: connect " + path_ + ": " + fd.error().message, fd.error().sys_errno};
      loop_.defer([done = std::move(done), e] { done(e); });
      return;
    }
    fd_ = std::move(*fd);
    ev_ = std::make_unique<event::Event>(loop_, fd_.get(), EV_READ, [this](short what) { on_event(what); });
  }
  // Requests are small and the peer is local: a short blocking write is fine.
  if (auto st = attr::write_message(fd_.get(), m, timeout_); !st) {
    close();
    Error e{"authd: " + st.error().message, st.error().sys_errno};
    loop_.defer([done = std::move(done), e] { done(e); });
    return;
  }
  done_ = std::move(done);
  ev_->add(timeout_);
}

void Client::on_event(short what) {
  if (what & EV_TIMEOUT) return complete(Error{"authd: timeout"});
  char buf[4096];
  for (;;) {
    if (auto m = reader_.next()) return complete(std::move(*m));
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      ev_->add(timeout_);
      return;
    }
    return complete(Error{n == 0 ? "authd: connection closed" : "authd: " + sys_error("recv").message});
  }
}

void Client::complete(Result<attr::Message> r) {
  Done done = std::move(done_);
  done_ = nullptr;
  // After an error the stream state is unknown: start over next time.
  if (!r) close();
  if (done) done(std::move(r));  // last: done may destroy this
}

}  // namespace buzon::auth
