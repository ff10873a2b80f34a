// The anvil client of smtpd (doc/anvil-protocol.md): one connection per
// process to private/anvil, shared by all its sessions. Requests are
// pipelined and answered in order; the caller's event loop never blocks
// on anvil, and an anvil that is down or slow costs a warning, not mail
// (the caller treats an error as "no limit", as Postfix's smtpd does).
//
// LIMITS  kPendingMax requests in flight (beyond: an error at once), each
//         answered within the timeout or failed with every request behind
//         it (the connection is dropped and made again on next use).
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "lib/attr/attr.h"
#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/event.h"

namespace buzon::anvil {

constexpr size_t kPendingMax = 10000;

class Client {
 public:
  using Done = std::function<void(Result<attr::Message>)>;
  using Ticket = uint64_t;
  // socket_path: anvil's socket (private/anvil relative to queue_directory,
  // the current directory of smtpd).
  Client(event::Loop& loop, std::string socket_path, std::chrono::milliseconds timeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues one request; done (may be empty: nobody waits for the answer)
  // is called exactly once, from the loop, never from inside request(),
  // with anvil's reply or an error. The Ticket lets the caller cancel().
  Ticket request(const attr::Message& m, Done done);
  // done of that request will not be called (its owner is going away);
  // the request itself still goes out (a disconnect must reach anvil).
  void cancel(Ticket t);

 private:
  struct Pending {
    Ticket ticket;
    Done done;
  };
  struct Ready {
    Ticket ticket;
    Done done;
    Result<attr::Message> result;
  };
  Status ensure_connected();
  void on_read();
  void on_write();
  void flush();
  void fail_all(const Error& e);
  void arm_timeout();
  // Answers go through ready_ and one deferred deliver(), so that cancel()
  // works until the very moment done is called.
  void complete(Ticket t, Done done, Result<attr::Message> r);
  void deliver();

  event::Loop& loop_;
  std::string path_;
  std::chrono::milliseconds timeout_;
  Fd fd_;
  std::unique_ptr<event::Event> read_ev_, write_ev_, timeout_ev_;
  attr::Reader reader_;
  std::string out_;  // encoded requests not yet written
  std::deque<Pending> pending_;
  std::deque<Ready> ready_;
  bool deliver_scheduled_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for deferred calls
  Ticket next_ = 1;
};

}  // namespace buzon::anvil
