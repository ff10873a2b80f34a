#include "smtpd/connection.h"

#include <event2/buffer.h>
#include <sys/socket.h>

#include <cstdlib>

#include "lib/log/log.h"
#include "lib/tls/stream.h"

namespace buzon::smtpd {
namespace {

// Bytes taken from the socket per Session::feed call.
constexpr size_t kReadChunk = 16384;
// Replies waiting for a client that does not read them: beyond this, stop
// reading its commands until it catches up (PIPELINING floods of NOOPs).
constexpr size_t kOutputMax = 256 * 1024;
// Input libevent may buffer before we drain it (we always drain it all).
constexpr size_t kInputMax = 64 * 1024;

}  // namespace

Connection::Connection(event::Loop& loop, Fd fd, const Settings& settings, Peer peer, Done done,
                       std::function<void()> on_queued, queue::Committer& committer)
    : settings_(settings),
      loop_(loop),
      fd_(std::move(fd)),
      bev_(bufferevent_socket_new(loop.base(), fd_.get(), 0)),
      session_(settings, std::move(peer)),
      delay_timer_(loop, -1, 0, [this](short) { delay_over(); }),
      done_(std::move(done)),
      on_queued_(std::move(on_queued)),
      committer_(committer) {
  if (!bev_) std::abort();  // out of memory: nothing sane to do
  arm(bev_.get());
  // Implicit TLS (RFC 8314, port 465): start() asks for the handshake
  // (Output::start_tls) and greets once it is done.
  session_.on_dns_ready([this] { dns_ready(); });
  if (!finished_) send(session_.start());
}

void Connection::arm(bufferevent* bev) {
  bufferevent_setcb(bev, read_cb, write_cb, event_cb, this);
  bufferevent_setwatermark(bev, EV_READ, 0, kInputMax);
  timeval tv{static_cast<time_t>(settings_.timeout.count()), 0};
  // The read timeout is smtpd_timeout between client bytes; the write
  // timeout catches a client that stops reading our replies.
  bufferevent_set_timeouts(bev, &tv, &tv);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

Connection::~Connection() {
  if (commit_) committer_.forget(*commit_);
  if (bev_) bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  anvil_goodbye();
}

void Connection::read_cb(bufferevent*, void* self) { static_cast<Connection*>(self)->on_read(); }
void Connection::write_cb(bufferevent*, void* self) { static_cast<Connection*>(self)->on_write(); }
void Connection::event_cb(bufferevent*, short what, void* self) { static_cast<Connection*>(self)->on_event(what); }

void Connection::stop() {
  if (!finished_ && !closing_) send(session_.stop());
}

void Connection::on_read() {
  if (finished_ || input_waits()) return;
  evbuffer* in = bufferevent_get_input(bev_.get());
  // All complete commands read so far are answered with one write
  // (RFC 2920 section 3.2: the server may not flush after each reply).
  Output all;
  char buf[kReadChunk];
  while (!closing_ && !all.close && !all.start_tls && !all.auth_request && !all.dns_wait && !all.anvil_request &&
         evbuffer_get_length(in) > 0) {
    int n = evbuffer_remove(in, buf, sizeof buf);
    if (n <= 0) break;
    Output o = session_.feed(std::string_view(buf, static_cast<size_t>(n)));
    all.bytes += o.bytes;
    all.close = all.close || o.close;
    all.queued = all.queued || o.queued;
    all.delay += o.delay;
    all.start_tls = o.start_tls;
    if (o.auth_request) all.auth_request = std::move(o.auth_request);
    all.dns_wait = o.dns_wait;
    if (o.anvil_request) all.anvil_request = std::move(o.anvil_request);
    if (o.commit) {
      // The rest waits (in the Session's buffer and the socket) for the
      // outcome of this commit.
      all.commit = std::move(o.commit);
      break;
    }
  }
  send(std::move(all));
}

void Connection::send(Output out) {
  if (delayed_) {
    // Whatever comes while replies are held goes out after them, in order.
    delayed_->bytes += out.bytes;
    delayed_->close = delayed_->close || out.close;
    delayed_->queued = delayed_->queued || out.queued;
    delayed_->start_tls = delayed_->start_tls || out.start_tls;
    if (out.auth_request) delayed_->auth_request = std::move(out.auth_request);
    if (out.commit) delayed_->commit = std::move(out.commit);
    delayed_->dns_wait = out.dns_wait;
    if (out.anvil_request) delayed_->anvil_request = std::move(out.anvil_request);
    return;
  }
  if (out.delay.count() > 0 && !out.bytes.empty()) {
    bufferevent_disable(bev_.get(), EV_READ);
    delay_timer_.add(out.delay);
    delayed_ = std::move(out);
    return;
  }
  write_out(std::move(out));
}

void Connection::delay_over() {
  if (finished_ || !delayed_) return;
  Output out = std::move(*delayed_);
  delayed_.reset();
  out.delay = std::chrono::milliseconds{0};
  const bool close = out.close;
  write_out(std::move(out));
  if (close) return;
  // The DNS answers may have come while the replies were held.
  if (dns_pending_ && session_.dns_answers_in()) return dns_ready();
  resume();
}

void Connection::write_bytes(std::string_view bytes) {
  // A plaintext socket with nothing queued sends at once: that saves the
  // write event's two epoll changes and a turn of the loop per reply.
  // What the socket does not take now waits in the bufferevent, which also
  // reports errors (event_cb). Under TLS the bufferevent encrypts.
  if (!ssl_ && evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) {
    ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
    if (bytes.empty()) return;
  }
  bufferevent_write(bev_.get(), bytes.data(), bytes.size());
}

void Connection::write_out(Output out) {
  if (!out.bytes.empty()) write_bytes(out.bytes);
  if (out.queued && on_queued_) on_queued_();
  if (out.commit) {
    commit_ = committer_.commit(std::move(*out.commit), [this](Status st) {
      commit_.reset();
      if (finished_) return;
      send(session_.committed(std::move(st)));
      if (half_closed_ && !commit_) return close_after_eof();
      resume();
    });
  }
  evbuffer* output = bufferevent_get_output(bev_.get());
  if (out.start_tls && !out.close) {
    // RFC 3207: the handshake starts after our 220; what the client
    // pipelined behind STARTTLS is dropped with the plaintext bufferevent.
    tls_pending_ = true;
    bufferevent_disable(bev_.get(), EV_READ);
    if (evbuffer_get_length(output) == 0) return start_tls();
    bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
    return;
  }
  if (out.auth_request && !out.close) return ask_authd(std::move(*out.auth_request));
  // The rest of the client's input waits in the session and the socket
  // until the session's DNS answers are in (update_reading below).
  if (out.dns_wait && !out.close) dns_pending_ = true;
  if (out.anvil_request && !out.close) return ask_anvil(std::move(*out.anvil_request));
  if (out.close) {
    closing_ = true;
    bufferevent_disable(bev_.get(), EV_READ);
    if (evbuffer_get_length(output) == 0) return finish(false);
    bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);  // write_cb when all is sent
    return;
  }
  if (!read_paused_ && evbuffer_get_length(output) > kOutputMax) {
    read_paused_ = true;
    bufferevent_setwatermark(bev_.get(), EV_WRITE, kOutputMax / 2, 0);
  }
  update_reading();
}

// Input waits while replies are held back (smtpd_error_sleep_time), a
// commit, authd, anvil or DNS answers are pending, or the transport is
// being switched to TLS.
bool Connection::input_waits() const {
  return delayed_ || commit_ || authd_pending_ || anvil_pending_ || tls_pending_ || handshaking_ || dns_pending_;
}

// Reading also stops while replies pile up unread; what the client
// pipelines meanwhile waits in the socket, not in memory.
void Connection::update_reading() {
  if (finished_ || closing_ || handshaking_) return;  // the handshake needs reading
  if (read_paused_ || input_waits()) bufferevent_disable(bev_.get(), EV_READ);
  else bufferevent_enable(bev_.get(), EV_READ);
}

// After a wait ends: reading resumes, and input libevent buffered
// meanwhile is handled now, since no new read event will announce it.
void Connection::resume() {
  if (finished_ || closing_) return;
  update_reading();
  if (!input_waits() && evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0) on_read();
}

void Connection::dns_ready() {
  if (finished_ || !dns_pending_) return;
  dns_pending_ = false;
  send(session_.dns_resume());
  resume();
}

void Connection::on_write() {
  if (finished_) return;
  if (tls_pending_ && !handshaking_) {
    if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) start_tls();
    return;
  }
  if (closing_) {
    if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) finish(lost_);
    return;
  }
  if (read_paused_) {
    read_paused_ = false;
    bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
    update_reading();
  }
}

void Connection::on_event(short what) {
  if (finished_) return;
  if (handshaking_) {
    if (what & BEV_EVENT_CONNECTED) return on_handshake();
    log::info("SSL_accept error from " + session_.peer_label() + ": " + tls::handshake_error(bev_.get()));
    if (auto note = session_.tls_failed(); note && settings_.anvil)
      settings_.anvil->request(note->request, std::move(note->done));
    return finish(!session_.closed());
  }
  if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && !closing_) {
    // libevent disabled reading; the 421 still goes out.
    return send(session_.timeout());
  }
  if ((what & BEV_EVENT_EOF) && !closing_) {
    // The client half-closed: the replies to what it sent still go out,
    // including the 250 of a message still being committed.
    half_closed_ = true;
    if (!commit_) return close_after_eof();
    bufferevent_disable(bev_.get(), EV_READ);
    return;
  }
  // A socket error, or a write timeout: nothing more can be said.
  finish(!session_.closed());
}

void Connection::close_after_eof() {
  lost_ = !session_.closed();
  closing_ = true;
  bufferevent_disable(bev_.get(), EV_READ);
  if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) return finish(lost_);
  bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
}

void Connection::finish(bool lost) {
  if (finished_) return;
  finished_ = true;
  bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
  tls::close_notify(ssl_.get());  // keeps the session resumable
  anvil_goodbye();
  session_.end(lost);
  done_(this);
}

}  // namespace buzon::smtpd
