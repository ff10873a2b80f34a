// The public/qmgr trigger socket (doc/ipc.md): a client connects, writes
// single bytes ('W' new mail in incoming/, 'F' flush the deferred queue)
// and closes. Anyone on the host may connect, so a client is read for at
// most kTriggerBytes bytes and trigger_timeout; unknown bytes are ignored.
// A trusted client (qmgr's own uid, as smtpd runs, or root) may instead
// keep its connection for a byte per message (queue::QmgrWaker): it is
// read without either limit and holds none of the server's client places.
#pragma once
#include <chrono>
#include <functional>
#include <memory>

#include "lib/core/fd.h"
#include "lib/event/event.h"

namespace buzon::qmgr {

constexpr size_t kTriggerBytes = 64;

// Whether the peer of a connected UNIX socket runs as our effective uid or
// as root (SO_PEERCRED); false when the kernel does not say.
bool trusted_trigger_peer(int fd);

class TriggerClient {
 public:
  // on_byte for each byte read; on_done once, from the loop, at EOF,
  // error and, unless trusted, timeout or after kTriggerBytes bytes (it
  // may delete this).
  TriggerClient(event::Loop& loop, Fd fd, bool trusted, std::chrono::milliseconds timeout,
                std::function<void(char)> on_byte, std::function<void()> on_done);
  void close();

 private:
  void on_event(short what) noexcept;
  event::Loop& loop_;
  Fd fd_;
  std::function<void(char)> on_byte_;
  std::function<void()> on_done_;
  bool trusted_;
  size_t seen_ = 0;
  bool closed_ = false;
  std::unique_ptr<event::Event> ev_;
};

}  // namespace buzon::qmgr
