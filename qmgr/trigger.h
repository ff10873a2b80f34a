// The public/qmgr trigger socket (doc/ipc.md): a client connects, writes
// single bytes ('W' new mail in incoming/, 'F' flush the deferred queue)
// and closes. Anyone on the host may connect, so a client is read for at
// most kTriggerBytes bytes and trigger_timeout; unknown bytes are ignored.
#pragma once
#include <chrono>
#include <functional>
#include <memory>

#include "lib/core/fd.h"
#include "lib/event/event.h"

namespace buzon::qmgr {

constexpr size_t kTriggerBytes = 64;

class TriggerClient {
 public:
  // on_byte for each byte read; on_done once, from the loop, at EOF,
  // timeout, error or after kTriggerBytes bytes (it may delete this).
  TriggerClient(event::Loop& loop, Fd fd, std::chrono::milliseconds timeout, std::function<void(char)> on_byte,
                std::function<void()> on_done);
  void close();

 private:
  void on_event(short what) noexcept;
  event::Loop& loop_;
  Fd fd_;
  std::function<void(char)> on_byte_;
  std::function<void()> on_done_;
  size_t seen_ = 0;
  bool closed_ = false;
  std::unique_ptr<event::Event> ev_;
};

}  // namespace buzon::qmgr
