// The public/qmgr trigger socket (doc/ipc.md): a client connects, writes
// single bytes ('W' new mail in incoming/, 'F' flush the deferred queue)
// and closes. Anyone on the host may connect, so a client is read for at
// most kTriggerBytes bytes and trigger_timeout; unknown bytes are ignored.
// A trusted client (qmgr's own uid, as smtpd runs, or root) may instead
// keep its connection for a trigger per message (queue::QmgrWaker),
// "I" + queue ID + LF for a message now in incoming/: it is read without
// either limit and holds none of the server's client places.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lib/core/fd.h"
#include "lib/event/event.h"

namespace buzon::qmgr {

constexpr size_t kTriggerBytes = 64;

struct Trigger {
  enum Kind { Wake, Flush, Named } kind;
  std::string id;  // Named: the message in incoming/
};

// Splits a client's bytes into triggers. A named trigger whose name is not
// a queue ID still says that there is new mail: it is a Wake.
class TriggerParser {
 public:
  std::optional<Trigger> feed(char c);

 private:
  bool in_name_ = false;
  bool too_long_ = false;
  std::string name_;
};

// Whether the peer of a connected UNIX socket runs as our effective uid or
// as root (SO_PEERCRED); false when the kernel does not say.
bool trusted_trigger_peer(int fd);

class TriggerClient {
 public:
  // on_trigger for each trigger read; on_done once, from the loop, at EOF,
  // error and, unless trusted, timeout or after kTriggerBytes bytes (it
  // may delete this). When a trusted client goes away, a last Wake: a
  // trigger it could not finish sending is not lost (QmgrWaker closes its
  // connection when a send fails part way).
  TriggerClient(event::Loop& loop, Fd fd, bool trusted, std::chrono::milliseconds timeout,
                std::function<void(const Trigger&)> on_trigger, std::function<void()> on_done);
  void close();

 private:
  void on_event(short what) noexcept;
  event::Loop& loop_;
  Fd fd_;
  std::function<void(const Trigger&)> on_trigger_;
  TriggerParser parser_;
  std::function<void()> on_done_;
  bool trusted_;
  size_t seen_ = 0;
  bool closed_ = false;
  std::unique_ptr<event::Event> ev_;
};

}  // namespace buzon::qmgr
