// The parts of Connection that change the transport under the session
// (the TLS handshake after STLS or on the pop3s port) and that wait for
// authd.
#include <event2/buffer.h>

#include <cstdlib>

#include "lib/log/log.h"
#include "pop3d/connection.h"

namespace buzon::pop3d {
namespace {

// Bounds one authd exchange, auth_failure_delay included.
constexpr std::chrono::milliseconds kAuthdTimeout{30000};

AuthOutcome outcome_of(const Result<attr::Message>& r) {
  if (!r) {
    log::warning("POP3 login: " + r.error().message);
    return {AuthOutcome::Kind::TempFailure, {}, {}};
  }
  auto status = r->get("status");
  std::string challenge(r->get("challenge").value_or(""));
  if (status == "0") return {AuthOutcome::Kind::Success, std::string(r->get("user").value_or("")), challenge};
  if (status == "1") return {AuthOutcome::Kind::Challenge, {}, challenge};
  if (status == "4") return {AuthOutcome::Kind::TempFailure, {}, {}};
  return {AuthOutcome::Kind::Failure, {}, {}};
}

}  // namespace

void Connection::start_tls() {
  wait_ = Wait::Handshake;
  ssl_ = s_.tls->new_ssl();
  if (!ssl_) std::abort();  // out of memory
  // Freeing the plaintext bufferevent drops any input it buffered: bytes
  // pipelined behind STLS never reach the session (CVE-2011-0411's kind).
  bev_.reset();
  bev_ = tls::accept_on(loop_.base(), fd_.get(), ssl_.get());
  if (!bev_) std::abort();
  arm(bev_.get());
}

void Connection::on_handshake() {
  wait_ = Wait::None;
  login_.tls_started();
  process();
}

void Connection::ask_authd(const Login::Step& step) {
  using Kind = Login::Step::Kind;
  attr::Message m;
  if (step.kind == Kind::AuthStart) {
    m.set("request", "auth").set("mechanism", step.mechanism).set("service", "pop").set("client_address", ep_.rip);
    if (step.response) m.set("response", *step.response);
    if (!s_.session_service.empty()) m.set("ticket", "yes");  // for the post-login service
  } else if (step.kind == Kind::AuthContinue) {
    m.set("request", "continue").set("response", step.response.value_or(""));
  } else {
    m.set("request", "cancel");
  }
  wait_ = Wait::Authd;
  if (!authd_) authd_ = std::make_unique<auth::Client>(loop_, s_.auth_path, kAuthdTimeout);
  const bool cancel = step.kind == Kind::AuthCancel;
  authd_->request(m, [this, cancel, text = step.text](Result<attr::Message> r) {
    wait_ = Wait::None;
    if (finished_ || closing_) return;
    if (cancel) {
      write(text);  // the exchange is over whatever authd said
    } else {
      if (r && r->get("ticket")) ticket_ = std::string(*r->get("ticket"));
      apply(login_.auth_reply(outcome_of(r)));
    }
    process();
  });
}

}  // namespace buzon::pop3d
