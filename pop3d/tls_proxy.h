// TlsProxy - relays plaintext between a client's TLS bufferevent and the
// post-login session process, over a socketpair. TLS state cannot move to
// another process, so in system mode the login process keeps the SSL and
// relays (Dovecot's login proxy). Buffers are bounded: each direction
// stops reading while kProxyBufferMax bytes wait for the other side.
#pragma once
#include <event2/bufferevent.h>

#include <functional>

#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "lib/tls/stream.h"

namespace buzon::pop3d {

constexpr size_t kProxyBufferMax = 256 * 1024;

class TlsProxy {
 public:
  // tls: the client's bufferevent (callbacks are taken over); session: our
  // end of the socketpair. done is called once when either side closes
  // and what it sent has been passed on.
  TlsProxy(event::Loop& loop, bufferevent* tls, Fd session, std::function<void()> done);
  ~TlsProxy();
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

 private:
  static void read_cb(bufferevent* bev, void* self);
  static void write_cb(bufferevent* bev, void* self);
  static void event_cb(bufferevent* bev, short what, void* self);
  void relay(bufferevent* from);
  void closing(bufferevent* from);
  bufferevent* other(bufferevent* b) const { return b == tls_ ? session_bev_.get() : tls_; }

  bufferevent* tls_;
  Fd session_;
  tls::BufferEventPtr session_bev_;
  std::function<void()> done_;
  bool closing_ = false;
  bool done_called_ = false;
};

}  // namespace buzon::pop3d
