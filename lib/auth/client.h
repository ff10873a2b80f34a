// The authd client of smtpd, and later pop3d and imapd
// (doc/auth-protocol.md): asks private/auth without blocking the caller's
// event loop, since authd holds failure replies for auth_failure_delay.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "lib/attr/attr.h"
#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/event.h"

namespace buzon::auth {

class Client {
 public:
  using Done = std::function<void(Result<attr::Message>)>;
  // socket_path: authd's socket (queue_directory/private/auth, or relative
  // to the current directory). timeout bounds each request, delay included.
  Client(event::Loop& loop, std::string socket_path, std::chrono::milliseconds timeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request (connecting on first use) and calls done exactly once,
  // from the loop, with the reply or an error (authd unreachable, timeout,
  // connection closed). One request at a time: a request while another is
  // in flight is an error. done may destroy the Client.
  void request(const attr::Message& m, Done done);
  bool busy() const { return static_cast<bool>(done_); }
  // Drops the connection (and any request in flight, whose done is not called).
  void close();

 private:
  void on_event(short what);
  void complete(Result<attr::Message> r);
  event::Loop& loop_;
  std::string path_;
  std::chrono::milliseconds timeout_;
  Fd fd_;
  std::unique_ptr<event::Event> ev_;
  attr::Reader reader_;
  Done done_;
};

}  // namespace buzon::auth
