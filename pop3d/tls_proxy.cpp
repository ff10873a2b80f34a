#include "pop3d/tls_proxy.h"

#include <event2/buffer.h>

#include <cstdlib>

namespace buzon::pop3d {

TlsProxy::TlsProxy(event::Loop& loop, bufferevent* tls, Fd session, std::function<void()> done)
    : tls_(tls),
      session_(std::move(session)),
      session_bev_(bufferevent_socket_new(loop.base(), session_.get(), 0)),
      done_(std::move(done)) {
  if (!session_bev_) std::abort();  // out of memory
  for (bufferevent* b : {tls_, session_bev_.get()}) {
    bufferevent_setcb(b, read_cb, write_cb, event_cb, this);
    bufferevent_setwatermark(b, EV_WRITE, 0, 0);
    bufferevent_enable(b, EV_READ | EV_WRITE);
  }
  // The session process has its own autologout timer; a client that stops
  // reading is caught by the TLS side's write timeout (set by the caller).
  bufferevent_set_timeouts(session_bev_.get(), nullptr, nullptr);
  if (evbuffer_get_length(bufferevent_get_input(tls_)) > 0) relay(tls_);
}

TlsProxy::~TlsProxy() {
  bufferevent_setcb(tls_, nullptr, nullptr, nullptr, nullptr);
  if (session_bev_) bufferevent_setcb(session_bev_.get(), nullptr, nullptr, nullptr, nullptr);
}

void TlsProxy::read_cb(bufferevent* bev, void* self) { static_cast<TlsProxy*>(self)->relay(bev); }

void TlsProxy::write_cb(bufferevent* bev, void* self) {
  auto* p = static_cast<TlsProxy*>(self);
  if (p->done_called_) return;
  evbuffer* out = bufferevent_get_output(bev);
  if (p->closing_) {
    if (evbuffer_get_length(bufferevent_get_output(p->tls_)) == 0 &&
        evbuffer_get_length(bufferevent_get_output(p->session_bev_.get())) == 0) {
      p->done_called_ = true;
      p->done_();  // may destroy this
    }
    return;
  }
  // The side that filled this buffer may read again.
  if (evbuffer_get_length(out) < kProxyBufferMax / 2) bufferevent_enable(p->other(bev), EV_READ);
}

void TlsProxy::relay(bufferevent* from) {
  if (closing_) return;
  bufferevent* to = other(from);
  evbuffer_add_buffer(bufferevent_get_output(to), bufferevent_get_input(from));
  if (evbuffer_get_length(bufferevent_get_output(to)) >= kProxyBufferMax) bufferevent_disable(from, EV_READ);
}

void TlsProxy::event_cb(bufferevent* bev, short, void* self) { static_cast<TlsProxy*>(self)->closing(bev); }

void TlsProxy::closing(bufferevent* from) {
  if (done_called_) return;
  // EOF, error or timeout on one side: pass on what it sent, then stop.
  relay(from);
  closing_ = true;
  bufferevent_disable(tls_, EV_READ);
  bufferevent_disable(session_bev_.get(), EV_READ);
  bufferevent* to = other(from);
  bufferevent_disable(from, EV_WRITE);
  evbuffer_drain(bufferevent_get_output(from), evbuffer_get_length(bufferevent_get_output(from)));
  if (evbuffer_get_length(bufferevent_get_output(to)) == 0) {
    done_called_ = true;
    done_();  // may destroy this
  }
}

}  // namespace buzon::pop3d
