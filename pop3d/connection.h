// Connection - one POP3 client on the event loop: reads command lines
// (bounded, pop3d/line_input.h), runs the AUTHORIZATION state (pop3d/login)
// with authd doing the password checks, STLS or implicit TLS, then the
// TRANSACTION state (pop3d/transaction) over the user's INBOX, streaming
// RETR/TOP output with bounded memory. pop3d_timeout is the autologout
// timer (RFC 1939 section 3) for reads and for writes to a client that
// stops reading. Nothing blocks the loop but the INBOX scan at login.
#pragma once
#include <event2/bufferevent.h>

#include <functional>
#include <memory>
#include <string>

#include "lib/auth/client.h"
#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "lib/tls/handles.h"
#include "lib/tls/stream.h"
#include "pop3d/line_input.h"
#include "pop3d/login.h"
#include "pop3d/maildrop.h"
#include "pop3d/message_stream.h"
#include "pop3d/session_log.h"
#include "pop3d/settings.h"
#include "pop3d/tls_proxy.h"
#include "pop3d/transaction.h"

namespace buzon::pop3d {

// A session handed over after login (system mode, pop3/session_serve.h):
// who logged in (from authd's ticket, not from the login process), and the
// client input the login process had already read.
struct PostLogin {
  std::string user;
  std::string home;
  std::string preread;
};

class Connection {
 public:
  // done(this) is called once, from a libevent callback, when the
  // connection is finished; the owner then defer_delete()s it.
  using Done = std::function<void(Connection*)>;
  // local_host: the client is on this host (loopback or our own address),
  // which Dovecot counts as secure for plaintext logins.
  Connection(event::Loop& loop, Fd fd, const Settings& settings, Endpoints ep, bool local_host, Done done);
  // The post-login service: no greeting, no login; opens the INBOX of
  // post.user at once and answers "+OK Logged in." itself.
  Connection(event::Loop& loop, Fd fd, const Settings& settings, Endpoints ep, PostLogin post, Done done);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The server is stopping (SIGTERM): say so and close, unless a message
  // is being sent (then it ends with the message or the timeout).
  void stop();

 private:
  enum class Wait { None, Tls, Handshake, Authd, Open, Handoff };

  static void read_cb(bufferevent*, void* self);
  static void write_cb(bufferevent*, void* self);
  static void event_cb(bufferevent*, short what, void* self);
  void on_write();
  void on_event(short what);

  // Handles buffered lines while nothing is pending and output is small.
  void process();
  void apply(Login::Step step);
  void transaction_line(const LineInput::Line& line);
  void begin_session();
  void try_open();
  // Sends the message being retrieved while the output is small; the
  // first call puts the status line in front of it.
  void pump_stream(std::string status_line = {});
  void write(std::string_view text);
  void close_after_output(std::string reason);
  void finish(std::string reason);

  // connection_tls.cpp: the TLS handshake and the authd exchange.
  void start_tls();
  void on_handshake();
  void arm(bufferevent* bev);
  void ask_authd(const Login::Step& step);
  // connection_handoff.cpp: system mode, the client goes to the
  // post-login service (pop3d_session_service) with authd's ticket.
  void handoff();

  const Settings& s_;
  event::Loop& loop_;
  Fd fd_;            // declared before ssl_ and bev_: the bufferevent is freed first
  tls::SslPtr ssl_;  // outlives bev_ (the bufferevent does not own it)
  tls::BufferEventPtr bev_;
  Endpoints ep_;
  Login login_;
  LineInput input_;
  std::unique_ptr<auth::Client> authd_;
  std::string user_;    // logged in as (authd's name)
  std::string home_;    // from the post-login hand-off; empty: looked up
  std::string ticket_;  // authd's login ticket, for the hand-off
  std::unique_ptr<TlsProxy> proxy_;  // system mode over TLS: relaying for the session
  bool handed_off_ = false;
  event::Event retry_timer_;  // INBOX locked: try again shortly
  unsigned open_attempts_ = 0;
  std::unique_ptr<Maildrop> drop_;
  std::unique_ptr<Transaction> tx_;  // set once the INBOX is open
  std::unique_ptr<MessageStream> stream_;
  bool stream_is_top_ = false;
  SessionStats stats_;
  Done done_;
  Wait wait_ = Wait::None;
  bool processing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  std::string close_reason_;
};

}  // namespace buzon::pop3d
