// One qmgr connection to a delivery agent (private/local): non-blocking,
// one request at a time, the reply read by the event loop through an
// attr::Reader. Between requests the connection is idle; the agent may
// close it (max_use, reload), which the idle watch notices, and qmgr
// closes it after ipc_idle.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "lib/attr/attr.h"
#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/event.h"

namespace buzon::qmgr {

// How a request ended without a reply.
enum class Failure {
  None,
  Closed,   // the agent closed the connection (or reset it) before replying
  Timeout,  // ipc_timeout passed
  Broken,   // a malformed frame or a write error
};

class AgentConn {
 public:
  // on_reply: the reply, or the failure kind and a message; called once per
  // request, from the loop. on_dead: an idle connection went away.
  using OnReply = std::function<void(AgentConn*, Failure, Result<attr::Message>)>;
  using OnDead = std::function<void(AgentConn*)>;

  AgentConn(event::Loop& loop, Fd fd, std::chrono::milliseconds timeout, std::chrono::milliseconds idle,
            OnReply on_reply, OnDead on_dead);
  ~AgentConn();

  void send(const attr::Message& request);
  // Whether the connection carried a request before the current one; a
  // reused connection can find the agent gone (max_use) and deserves one
  // retry on a fresh connection.
  bool reused() const { return requests_ > 1; }
  // Whether any reply byte arrived for the current request.
  bool got_bytes() const { return got_bytes_; }

 private:
  void on_io(short what) noexcept;
  void on_timer() noexcept;
  void flush_out() noexcept;
  void fail(Failure f, const std::string& why) noexcept;
  void go_idle() noexcept;

  event::Loop& loop_;
  Fd fd_;
  std::chrono::milliseconds timeout_, idle_;
  OnReply on_reply_;
  OnDead on_dead_;
  attr::Reader reader_;
  std::string out_;
  size_t out_at_ = 0;
  bool busy_ = false;
  bool got_bytes_ = false;
  unsigned long requests_ = 0;
  std::unique_ptr<event::Event> read_ev_, write_ev_, timer_;
};

}  // namespace buzon::qmgr
