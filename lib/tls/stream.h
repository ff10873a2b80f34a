// TLS on the event loop: libevent's OpenSSL bufferevents run the handshake
// and every record without blocking. The owner keeps the SSL alive longer
// than the bufferevent (declare the SslPtr before the BufferEventPtr) and
// owns the socket (BEV_OPT_CLOSE_ON_FREE is not used).
//
// The bufferevent reports BEV_EVENT_CONNECTED once the handshake is done
// (then details(ssl) is valid) and BEV_EVENT_ERROR when it fails
// (handshake_error() says why, for the log).
#pragma once
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include <memory>
#include <string>

#include "lib/event/event.h"
#include "lib/tls/handles.h"

namespace buzon::tls {

using BufferEventPtr = std::unique_ptr<bufferevent, event::CFree<bufferevent, bufferevent_free>>;

// Starts the server side of a handshake on fd (after STARTTLS/STLS, or at
// once on an implicit-TLS port). Clients that close without close_notify
// (most mail clients) are an ordinary EOF, not an error.
BufferEventPtr accept_on(event_base* base, int fd, SSL* ssl);
// Starts the client side of a handshake on a connected fd.
BufferEventPtr connect_on(event_base* base, int fd, SSL* ssl);

// Sends close_notify (once, without waiting for the peer's) on an SSL
// whose handshake completed. Without it OpenSSL treats the session as
// broken and drops it from the cache: no resumption next time.
void close_notify(SSL* ssl);

// The reason the last operation on bev failed ("handshake failed:
// error:0A00010B:SSL routines::wrong version number"), draining the
// bufferevent's OpenSSL error list.
std::string handshake_error(bufferevent* bev);

}  // namespace buzon::tls
