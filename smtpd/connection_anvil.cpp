// The part of Connection that waits for anvil (client limits): reading
// pauses while the session waits for an answer, as it does for authd.
#include "smtpd/connection.h"

namespace buzon::smtpd {

void Connection::ask_anvil(attr::Message m) {
  if (!settings_.anvil) return send(session_.anvil_reply(Error{"anvil: no client"}));
  anvil_pending_ = true;
  bufferevent_disable(bev_.get(), EV_READ);
  anvil_ticket_ = settings_.anvil->request(m, [this](Result<attr::Message> r) {
    anvil_pending_ = false;
    anvil_ticket_ = 0;
    if (finished_) return;
    send(session_.anvil_reply(std::move(r)));
    resume();
  });
}

void Connection::anvil_goodbye() {
  if (!settings_.anvil) return;
  // This object is about to go: no answer may reach it any more.
  if (anvil_ticket_) settings_.anvil->cancel(std::exchange(anvil_ticket_, 0));
  // Postfix's smtpd tells anvil about every end of a counted connection,
  // limited or not, so that the count goes down again.
  if (!session_.anvil_ident().empty() && !anvil_said_goodbye_) {
    anvil_said_goodbye_ = true;
    attr::Message m;
    m.set("request", "disconnect").set("ident", session_.anvil_ident());
    settings_.anvil->request(m, nullptr);
  }
}

}  // namespace buzon::smtpd
