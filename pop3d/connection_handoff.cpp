// System mode (pop3d_session_service set): after login the client goes to
// the post-login service with authd's one-time ticket. A plaintext client
// socket itself crosses (SCM_RIGHTS); a TLS client stays here and this
// process relays plaintext over a socketpair (pop3d/tls_proxy.h).
#include <event2/buffer.h>
#include <sys/socket.h>

#include "lib/attr/attr.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "pop3d/connection.h"
#include "pop3d/handoff.h"

namespace buzon::pop3d {
namespace {

constexpr std::chrono::milliseconds kHandoffTimeout{5000};

}  // namespace

void Connection::handoff() {
  wait_ = Wait::None;
  auto fail = [this](const std::string& why) {
    log::warning("user=<" + str::sanitize(user_, 128) + ">, rip=" + ep_.rip + ": hand-off to " + s_.session_service +
                 " failed: " + why);
    write("-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.\r\n");
    close_after_output("Hand-off failed");
  };
  if (ticket_.empty()) return fail("authd gave no login ticket");
  auto sock = attr::connect_unix("private/" + s_.session_service);
  if (!sock) return fail(sock.error().message);
  evbuffer* in = bufferevent_get_input(bev_.get());
  Handoff h;
  h.ticket = std::exchange(ticket_, {});
  h.rip = ep_.rip;
  h.lip = ep_.lip;
  h.mechanism = login_.mechanism();
  h.tls = ssl_ != nullptr;
  size_t pending = evbuffer_get_length(in);
  if (pending > kPrereadMax) return fail("too much pipelined input");
  h.preread.resize(pending);
  evbuffer_remove(in, h.preread.data(), pending);

  if (!ssl_) {
    if (auto st = send_handoff(sock->get(), fd_.get(), h, kHandoffTimeout); !st) return fail(st.error().message);
    // The session process has its own copy of the socket now; ours closes
    // with this Connection.
    handed_off_ = true;
    return finish("Handed off");
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
    return fail(sys_error("socketpair").message);
  Fd ours(sv[0]), theirs(sv[1]);
  if (auto st = send_handoff(sock->get(), theirs.get(), h, kHandoffTimeout); !st) return fail(st.error().message);
  theirs.reset();
  handed_off_ = true;
  // From now on the bufferevent belongs to the proxy; this Connection only
  // keeps the SSL, the socket and the bufferevent alive until it is done.
  proxy_ = std::make_unique<TlsProxy>(loop_, bev_.get(), std::move(ours), [this] { finish("Proxy done"); });
  bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
}

}  // namespace buzon::pop3d
