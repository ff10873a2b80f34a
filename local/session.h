// One qmgr connection to local: requests one at a time, each answered
// before the next is read (doc/internals.md). A stream that breaks the
// attr framing is closed; a request that fails validation is answered
// with a temporary failure and logged.
#pragma once
#include <chrono>
#include <functional>
#include <memory>

#include "lib/attr/attr.h"
#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "local/deliver.h"

namespace buzon::local {

// Delivers one validated request (local's Deliverer, or the virtual
// delivery agent); never fails, every outcome is a Reply.
using Handler = std::function<Reply(const Request&)>;

class Session {
 public:
  // on_done runs once, from the loop, after the session has closed; it may
  // delete the session.
  Session(event::Loop& loop, Fd fd, Handler handler, std::chrono::milliseconds timeout,
          std::function<void()> on_done);
  // Closes the connection (stop, reload); safe to call more than once.
  void close();

 private:
  void on_event(short what) noexcept;
  bool handle(const attr::Message& m) noexcept;
  event::Loop& loop_;
  Fd fd_;
  Handler handler_;
  std::chrono::milliseconds timeout_;
  std::function<void()> on_done_;
  attr::Reader reader_;
  std::unique_ptr<event::Event> ev_;
  bool closed_ = false;
};

// Handles the reply and its log line for one decoded request; exposed for
// tests. Returns the reply to send.
Reply handle_request(const Handler& h, const attr::Message& m);
Reply handle_request(Deliverer& d, const attr::Message& m);

}  // namespace buzon::local
