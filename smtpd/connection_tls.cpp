// The parts of Connection that change the transport under the session:
// the TLS handshake (STARTTLS, wrapper mode) and waiting for authd.
#include <event2/buffer.h>

#include <cstdlib>

#include "lib/log/log.h"
#include "lib/tls/stream.h"
#include "smtpd/connection.h"

namespace buzon::smtpd {
namespace {

// Bounds one authd exchange, auth_failure_delay included.
constexpr std::chrono::milliseconds kAuthdTimeout{30000};

}  // namespace

void Connection::start_tls() {
  tls_pending_ = false;
  handshaking_ = true;
  ssl_ = settings_.security.tls->new_ssl();
  if (!ssl_) std::abort();  // out of memory
  // Freeing the plaintext bufferevent drops any input it buffered: bytes
  // pipelined behind STARTTLS never reach the session (CVE-2011-0411).
  bev_.reset();
  bev_ = tls::accept_on(loop_.base(), fd_.get(), ssl_.get());
  if (!bev_) std::abort();
  arm(bev_.get());
}

void Connection::on_handshake() {
  handshaking_ = false;
  send(session_.tls_started(tls::details(ssl_.get())));
}

void Connection::ask_authd(attr::Message m) {
  authd_pending_ = true;
  bufferevent_disable(bev_.get(), EV_READ);
  if (!authd_) authd_ = std::make_unique<auth::Client>(loop_, settings_.security.sasl_path, kAuthdTimeout);
  authd_->request(m, [this](Result<attr::Message> r) {
    authd_pending_ = false;
    if (finished_) return;
    send(session_.auth_reply(std::move(r)));
    resume();
  });
}

}  // namespace buzon::smtpd
