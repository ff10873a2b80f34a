// Connection - the libevent side of one client: reads bytes into its
// Session, writes the Session's replies, enforces smtpd_timeout, and keeps
// a client that does not read its replies from making us buffer without
// bound. Non-blocking throughout: a slow client never delays the others.
#pragma once
#include <event2/bufferevent.h>

#include <functional>
#include <memory>
#include <optional>

#include "lib/auth/client.h"
#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "lib/tls/handles.h"
#include "lib/queue/committer.h"
#include "smtpd/session.h"

namespace buzon::smtpd {

using BufferEventPtr = std::unique_ptr<bufferevent, event::CFree<bufferevent, bufferevent_free>>;

class Connection {
 public:
  // done(this) is called once, from a libevent callback, when the
  // connection is finished; the owner then defer_delete()s it.
  using Done = std::function<void(Connection*)>;
  // on_queued() is called after a message was committed (wake qmgr).
  // Messages are committed through committer, which must outlive the Connection.
  Connection(event::Loop& loop, Fd fd, const Settings& settings, Peer peer, Done done,
             std::function<void()> on_queued, queue::Committer& committer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The server is stopping: see Session::stop().
  void stop();

 private:
  static void read_cb(bufferevent*, void* self);
  static void write_cb(bufferevent*, void* self);
  static void event_cb(bufferevent*, short what, void* self);
  void on_read();
  void on_write();
  void on_event(short what);
  void send(Output out);
  void write_out(Output out);
  void write_bytes(std::string_view bytes);
  void delay_over();
  void finish(bool lost);
  // TLS (connection_tls.cpp): start the handshake on fd_ (STARTTLS once
  // its 220 is written, or at once in wrapper mode), and its outcome.
  void start_tls();
  void on_handshake();
  void arm(bufferevent* bev);
  // AUTH: hand the request to authd; reading pauses until the answer.
  void ask_authd(attr::Message m);
  bool input_waits() const;
  void update_reading();
  void resume();
  void close_after_eof();
  // The DNS answers the session waited for are in (Output::dns_wait).
  void dns_ready();
  // Client limits (connection_anvil.cpp): the same for anvil, and the
  // disconnect that anvil is owed at the end.
  void ask_anvil(attr::Message m);
  void anvil_goodbye();

  const Settings& settings_;
  event::Loop& loop_;
  Fd fd_;  // declared before ssl_ and bev_: the bufferevent is freed first
  tls::SslPtr ssl_;  // outlives bev_ (the bufferevent does not own it)
  BufferEventPtr bev_;
  Session session_;
  // Replies held for Output::delay (smtpd_error_sleep_time); reading is
  // off meanwhile, so the client's next commands wait in the socket.
  event::Event delay_timer_;
  std::optional<Output> delayed_;
  Done done_;
  std::function<void()> on_queued_;
  queue::Committer& committer_;
  std::optional<queue::Committer::Ticket> commit_;  // a commit in flight: input waits
  bool closing_ = false;
  bool finished_ = false;
  bool read_paused_ = false;
  bool lost_ = false;  // the client went away without QUIT
  bool tls_pending_ = false;    // STARTTLS answered: switch once the 220 is out
  bool handshaking_ = false;
  bool authd_pending_ = false;  // reading paused for authd's answer
  bool dns_pending_ = false;    // reading paused for DNS answers
  std::unique_ptr<auth::Client> authd_;
  bool half_closed_ = false;  // EOF from the client
  bool anvil_pending_ = false;  // reading paused for anvil's answer
  anvil::Client::Ticket anvil_ticket_ = 0;
  bool anvil_said_goodbye_ = false;
};

}  // namespace buzon::smtpd
