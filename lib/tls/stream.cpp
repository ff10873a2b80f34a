#include "lib/tls/stream.h"

#include <openssl/err.h>

namespace buzon::tls {
namespace {

BufferEventPtr wrap(event_base* base, int fd, SSL* ssl, bufferevent_ssl_state state) {
  BufferEventPtr bev(bufferevent_openssl_socket_new(base, fd, ssl, state, 0));
  if (bev) bufferevent_openssl_set_allow_dirty_shutdown(bev.get(), 1);
  return bev;
}

}  // namespace

BufferEventPtr accept_on(event_base* base, int fd, SSL* ssl) {
  return wrap(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING);
}

BufferEventPtr connect_on(event_base* base, int fd, SSL* ssl) {
  return wrap(base, fd, ssl, BUFFEREVENT_SSL_CONNECTING);
}

void close_notify(SSL* ssl) {
  if (!ssl || !SSL_is_init_finished(ssl) || (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) return;
  SSL_shutdown(ssl);  // non-blocking socket: best effort, the result does not matter
  ERR_clear_error();
}

std::string handshake_error(bufferevent* bev) {
  std::string out;
  // Bounded by OpenSSL's error queue depth.
  while (unsigned long e = bufferevent_get_openssl_error(bev)) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  if (out.empty()) out = EVUTIL_SOCKET_ERROR() ? evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()) : "connection closed";
  return out;
}

}  // namespace buzon::tls
