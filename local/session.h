// One qmgr connection to local: requests one at a time, each answered
// before the next is read (doc/internals.md). A stream that breaks the
// attr framing is closed; a request that fails validation is answered
// with a temporary failure and logged.
//
// With an AsyncFsync, the Maildir files of a delivery are synced off the
// loop (the handler leaves them unsynced) and the reply waits for them, so
// that one process can serve several connections without one's fsync
// stalling the others (local_process_client_limit).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "lib/attr/attr.h"
#include "lib/core/fd.h"
#include "lib/daemon/daemon.h"
#include "lib/event/async_fsync.h"
#include "lib/event/event.h"
#include "local/deliver.h"

namespace buzon::local {

// Delivers one validated request (local's Deliverer, or the virtual
// delivery agent); never fails, every outcome is a Reply. When unsynced is
// given, Maildir files may be left there for the caller to fsync.
using Handler = std::function<Reply(const Request&, std::vector<UnsyncedFile>* unsynced)>;
// The reply instead, for a file whose fsync failed (it removes the file).
using SyncFailed = std::function<Reply(const UnsyncedFile&, int err)>;

class Session {
 public:
  // on_done runs once, from the loop, after the session has closed; it may
  // delete the session. fsync null: the handler syncs its files itself.
  Session(event::Loop& loop, Fd fd, Handler handler, std::chrono::milliseconds timeout,
          std::function<void()> on_done, event::AsyncFsync* fsync = nullptr, SyncFailed sync_failed = {});
  // Closes the connection (stop, reload); safe to call more than once. A
  // delivery whose files are being synced is answered first.
  void close();

 private:
  void on_event(short what) noexcept;
  void handle_buffered() noexcept;
  bool handle(const attr::Message& m) noexcept;
  bool send(const Reply& r) noexcept;
  void synced(size_t i, int err) noexcept;
  void maybe_done();
  event::Loop& loop_;
  Fd fd_;
  Handler handler_;
  std::chrono::milliseconds timeout_;
  std::function<void()> on_done_;
  event::AsyncFsync* fsync_;
  SyncFailed sync_failed_;
  attr::Reader reader_;
  std::unique_ptr<event::Event> ev_;
  bool closed_ = false;
  bool close_after_reply_ = false;
  bool done_ = false;
  // The request whose files are being synced: its reply and its files.
  Reply held_;
  std::vector<UnsyncedFile> syncing_;
  size_t unsynced_left_ = 0;
};

// Serves qmgr connections until master stops the process: up to
// client_limit at once, one Session each (with an AsyncFsync when
// sync_failed is given).
void serve_sessions(daemon::Context& ctx, int client_limit, const Handler& handler,
                    std::chrono::milliseconds timeout, const SyncFailed& sync_failed = {});

// Handles the reply and its log line for one decoded request; exposed for
// tests. Returns the reply to send.
Reply handle_request(const Handler& h, const attr::Message& m, std::vector<UnsyncedFile>* unsynced = nullptr);
Reply handle_request(Deliverer& d, const attr::Message& m);

}  // namespace buzon::local
