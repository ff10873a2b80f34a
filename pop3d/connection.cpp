#include "pop3d/connection.h"

#include <event2/buffer.h>

#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "pop3d/command.h"
#include "pop3d/open_inbox.h"

namespace buzon::pop3d {
namespace {

// Output waiting for a client that does not read it: beyond this, stop
// taking its commands (and stop filling RETR output) until it catches up.
constexpr size_t kOutputMax = 256 * 1024;
// Input libevent may buffer before we take lines out of it.
constexpr size_t kInputMax = 64 * 1024;

// RFC 2449 section 5: CAPA works in the TRANSACTION state too.
std::string transaction_capa(std::chrono::seconds login_delay) {
  return "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n" +
         login_delay_capa(login_delay) + "IMPLEMENTATION Buzon\r\n.\r\n";
}

// "-ERR Too many invalid commands.\r\n" -> "Too many invalid commands."
std::string reason_of(std::string_view reply) {
  reply = str::trim(reply);
  if (reply.rfind("+OK ", 0) == 0) reply.remove_prefix(4);
  else if (reply.rfind("-ERR ", 0) == 0) reply.remove_prefix(5);
  return str::sanitize(reply, 80);
}

// RFC 1939 section 7: the timestamp must differ for every greeting. The
// pid, a per-process counter and the time make it unique; 64 random bits
// make it unpredictable, so a sniffed digest is no use for a later login.
std::string apop_challenge(const std::string& host) {
  static unsigned long long counter = 0;
  unsigned char rnd[8] = {};
  if (RAND_bytes(rnd, sizeof rnd) != 1) std::abort();  // no entropy: nothing sane to do
  static constexpr char kHex[] = "0123456789abcdef";
  std::string r;
  for (unsigned char b : rnd) r += {kHex[b >> 4], kHex[b & 15]};
  return "<" + std::to_string(::getpid()) + "." + std::to_string(++counter) + "." +
         std::to_string(::time(nullptr)) + "." + r + "@" + host + ">";
}

LoginSettings with_mechanisms(LoginSettings ls, const Settings& s) {
  if (s.mechanisms)
    for (const auto& m : s.mechanisms()) ls.mechanisms.push_back(m);
  for (const auto& m : ls.mechanisms)
    if (m == "APOP") ls.apop_challenge = apop_challenge(s.hostname);
  return ls;
}

}  // namespace

Connection::Connection(event::Loop& loop, Fd fd, const Settings& settings, Endpoints ep, bool local_host, Done done)
    : s_(settings),
      loop_(loop),
      fd_(std::move(fd)),
      bev_(bufferevent_socket_new(loop.base(), fd_.get(), 0)),
      ep_(std::move(ep)),
      login_(with_mechanisms(settings.login, settings), local_host),
      retry_timer_(loop, -1, 0, [this](short) { try_open(); }),
      done_(std::move(done)) {
  if (!bev_) std::abort();  // out of memory: nothing sane to do
  arm(bev_.get());
  // Implicit TLS (RFC 8314, port 995): the greeting waits in the TLS
  // bufferevent until the handshake is done.
  if (s_.wrappermode && s_.tls) start_tls();
  write(login_.greeting());
}

Connection::Connection(event::Loop& loop, Fd fd, const Settings& settings, Endpoints ep, PostLogin post, Done done)
    : s_(settings),
      loop_(loop),
      fd_(std::move(fd)),
      bev_(bufferevent_socket_new(loop.base(), fd_.get(), 0)),
      ep_(std::move(ep)),
      login_(settings.login, true),
      user_(std::move(post.user)),
      home_(std::move(post.home)),
      retry_timer_(loop, -1, 0, [this](short) { try_open(); }),
      done_(std::move(done)) {
  if (!bev_) std::abort();  // out of memory: nothing sane to do
  arm(bev_.get());
  // Commands the client pipelined behind its login, read by the login
  // process. A socket bufferevent's input is frozen at its end (only the
  // socket adds there); the start is free, and the buffer is still empty.
  if (!post.preread.empty() && evbuffer_prepend(bufferevent_get_input(bev_.get()), post.preread.data(), post.preread.size()) < 0)
    std::abort();  // out of memory
  wait_ = Wait::Open;
  try_open();
}

Connection::~Connection() {
  if (bev_) bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
}

void Connection::arm(bufferevent* bev) {
  bufferevent_setcb(bev, read_cb, write_cb, event_cb, this);
  bufferevent_setwatermark(bev, EV_READ, 0, kInputMax);
  bufferevent_setwatermark(bev, EV_WRITE, kOutputMax / 2, 0);
  timeval tv{static_cast<time_t>(s_.timeout.count()), 0};
  bufferevent_set_timeouts(bev, &tv, &tv);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void Connection::read_cb(bufferevent*, void* self) { static_cast<Connection*>(self)->process(); }
void Connection::write_cb(bufferevent*, void* self) { static_cast<Connection*>(self)->on_write(); }
void Connection::event_cb(bufferevent*, short what, void* self) { static_cast<Connection*>(self)->on_event(what); }

void Connection::write(std::string_view text) {
  if (text.empty()) return;
  // A plaintext socket with nothing queued sends at once: that saves the
  // write event's two epoll_ctl calls and a turn of the loop per reply,
  // most of a RETR's system calls. What the socket does not take now
  // waits in the bufferevent as before, and errors are left to it (it
  // reports them through event_cb). Under TLS the bufferevent encrypts.
  if (!ssl_ && evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) {
    ssize_t n = ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) text.remove_prefix(static_cast<size_t>(n));
    if (text.empty()) return;
  }
  bufferevent_write(bev_.get(), text.data(), text.size());
}

void Connection::process() {
  if (processing_) return;  // a step below called back into us: the outer loop goes on
  processing_ = true;
  while (!finished_ && !closing_ && wait_ == Wait::None && !stream_) {
    if (evbuffer_get_length(bufferevent_get_output(bev_.get())) > kOutputMax) break;  // on_write resumes
    size_t limit = tx_ ? kCommandLineMax : login_.line_limit();
    auto line = input_.next(bufferevent_get_input(bev_.get()), limit);
    if (line.kind == LineInput::Kind::NeedMore) break;
    if (tx_) {
      transaction_line(line);
    } else {
      apply(line.kind == LineInput::Kind::TooLong ? login_.line_too_long() : login_.line(line.text));
    }
  }
  processing_ = false;
}

void Connection::apply(Login::Step step) {
  using Kind = Login::Step::Kind;
  switch (step.kind) {
    case Kind::Reply:
      if (login_.logged_in() && !tx_) return begin_session();  // "+OK Logged in." once the INBOX is ours
      write(step.text);
      if (step.close) close_after_output(reason_of(step.text));
      return;
    case Kind::StartTls:
      write(step.text);
      // RFC 2595 section 4: the handshake starts after our +OK; anything the
      // client pipelined behind STLS is dropped with the plaintext buffer.
      wait_ = Wait::Tls;
      bufferevent_disable(bev_.get(), EV_READ);
      if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) return start_tls();
      bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
      return;
    case Kind::AuthStart:
    case Kind::AuthContinue:
    case Kind::AuthCancel:
      return ask_authd(step);
  }
}

void Connection::begin_session() {
  log::info(login_line(login_.user(), login_.mechanism(), ep_, login_.tls()));
  authd_.reset();  // no more logins on this connection
  user_ = login_.user();
  if (!s_.session_service.empty()) {
    // System mode: this process never opens a mailbox. The hand-off waits
    // until every earlier reply is out, so that the session's "+OK Logged
    // in." cannot overtake them.
    wait_ = Wait::Handoff;
    bufferevent_disable(bev_.get(), EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) return handoff();
    bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
    return;
  }
  wait_ = Wait::Open;
  open_attempts_ = 0;
  try_open();
}

void Connection::try_open() {
  if (finished_ || closing_) return;
  auto inbox = open_inbox(*s_.cf, user_, home_, s_.lock_policy, s_.login_delay);
  if (inbox.kind == OpenedInbox::Kind::InUse && ++open_attempts_ < kOpenAttempts) {
    retry_timer_.add(kOpenRetryDelay);  // a delivery in progress usually finishes in time
    return;
  }
  wait_ = Wait::None;
  if (inbox.kind == OpenedInbox::Kind::InUse) {
    log::info("user=<" + str::sanitize(user_, 128) + ">, rip=" + ep_.rip + ": INBOX " + inbox.path +
              " in use: " + inbox.error);
    write("-ERR [IN-USE] Mailbox is locked by another session, try again later.\r\n");
    return close_after_output("Mailbox in use");
  }
  if (inbox.kind == OpenedInbox::Kind::TooSoon) {
    log::info("user=<" + str::sanitize(user_, 128) + ">, rip=" + ep_.rip + ": login within pop3d_login_delay (" +
              std::to_string(s_.login_delay.count()) + "s) of the last one");
    write("-ERR [LOGIN-DELAY] Logged in too recently, try again later.\r\n");
    return close_after_output("Login delay");
  }
  if (inbox.kind == OpenedInbox::Kind::Failed) {
    log::warning("user=<" + str::sanitize(user_, 128) + ">, rip=" + ep_.rip + ": cannot open INBOX " +
                 inbox.path + ": " + inbox.error);
    write("-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.\r\n");
    return close_after_output("INBOX unavailable");
  }
  drop_ = std::move(inbox.drop);
  tx_ = std::make_unique<Transaction>(*drop_);
  stats_.messages = tx_->message_count();
  stats_.size = tx_->live_size();
  write("+OK Logged in.\r\n");
  process();
}

void Connection::transaction_line(const LineInput::Line& line) {
  if (line.kind == LineInput::Kind::TooLong) return write("-ERR Line too long.\r\n");
  auto cmd = parse_command(line.text);
  if (!cmd) {
    // Dovecot names the word it did not know (bounded: the line is).
    std::string word = line.text.substr(0, line.text.find(' '));
    for (auto& c : word) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return write("-ERR Unknown command: " + str::sanitize(word, 40) + "\r\n");
  }
  if (cmd->verb == "CAPA") return write(transaction_capa(s_.login_delay));
  Reply r = tx_->handle(*cmd);
  if (r.stream) {
    auto range = drop_->open(*r.stream);
    if (!range) {
      // Another client (IMAP) removed it since login, or the disk failed.
      log::warning("user=<" + str::sanitize(user_, 128) + ">: cannot read message " +
                   std::to_string(*r.stream + 1) + ": " + range.error().message);
      return write("-ERR [SYS/TEMP] Couldn't read the message.\r\n");
    }
    stream_is_top_ = r.top_lines >= 0;
    ++(stream_is_top_ ? stats_.top_count : stats_.retr_count);
    stream_ = std::make_unique<MessageStream>(std::move(*range), r.top_lines);
    return pump_stream(std::move(r.text));  // "+OK" and the message start in one send
  }
  write(r.text);
  if (r.close) {
    if (r.text.rfind("+OK", 0) == 0) {
      stats_.deleted = tx_->deleted_count();
      return close_after_output("Logged out");
    }
    return close_after_output("Mailbox update failed");
  }
}

void Connection::pump_stream(std::string status_line) {
  evbuffer* out = bufferevent_get_output(bev_.get());
  while (stream_ && evbuffer_get_length(out) < kOutputMax) {
    std::string chunk = std::move(status_line);
    const size_t status_size = chunk.size();
    status_line.clear();
    auto more = stream_->next(chunk);
    if (!more) {
      // Half a message is out: there is no way to tell the client but to go.
      log::warning("user=<" + str::sanitize(user_, 128) + ">: " + more.error().message);
      stream_.reset();
      return finish("Message read error");
    }
    (stream_is_top_ ? stats_.top_bytes : stats_.retr_bytes) += chunk.size() - status_size;
    write(chunk);
    if (!*more) stream_.reset();
  }
  if (!stream_) process();  // commands pipelined behind RETR
}

void Connection::on_write() {
  if (finished_) return;
  evbuffer* out = bufferevent_get_output(bev_.get());
  if (wait_ == Wait::Tls || wait_ == Wait::Handoff) {
    if (evbuffer_get_length(out) == 0) wait_ == Wait::Tls ? start_tls() : handoff();
    return;
  }
  if (closing_) {
    if (evbuffer_get_length(out) == 0) finish(close_reason_);
    return;
  }
  if (stream_) return pump_stream();
  process();
}

void Connection::on_event(short what) {
  if (finished_) return;
  if (wait_ == Wait::Handshake) {
    if (what & BEV_EVENT_CONNECTED) return on_handshake();
    log::info("TLS handshake failed: rip=" + ep_.rip + ", lip=" + ep_.lip + ": " + tls::handshake_error(bev_.get()));
    return finish("TLS handshake failed");
  }
  if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && !closing_) {
    if (stream_) {
      // Busy sending a message: the write timeout guards that.
      bufferevent_enable(bev_.get(), EV_READ);
      return;
    }
    // RFC 1939 section 3: the autologout timer; nothing is deleted.
    write("-ERR Disconnected for inactivity.\r\n");
    return close_after_output("Inactivity");
  }
  if (what & BEV_EVENT_EOF) return finish(closing_ ? close_reason_ : "Connection closed");
  finish(what & BEV_EVENT_TIMEOUT ? "Write timeout" : "Connection error");
}

void Connection::stop() {
  if (finished_ || closing_ || stream_) return;
  write("-ERR [SYS/TEMP] Server shutting down.\r\n");
  close_after_output("Server shutting down");
}

void Connection::close_after_output(std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  close_reason_ = std::move(reason);
  retry_timer_.del();
  bufferevent_disable(bev_.get(), EV_READ);
  if (evbuffer_get_length(bufferevent_get_output(bev_.get())) == 0) return finish(close_reason_);
  bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);  // write_cb once all is sent
}

void Connection::finish(std::string reason) {
  if (finished_) return;
  finished_ = true;
  retry_timer_.del();
  bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
  tls::close_notify(ssl_.get());  // keeps the TLS session resumable
  // A session that ends without QUIT changes nothing (RFC 1939 section 6):
  // the maildrop is closed without commit(), and its locks go with it.
  if (tx_) log::info(logout_line(user_, ep_, reason, stats_));
  else if (!handed_off_) log::info(prelogin_line(ep_, reason, login_.auth_failures(), login_.tls()));
  stream_.reset();
  tx_.reset();
  drop_.reset();
  authd_.reset();
  done_(this);
}

}  // namespace buzon::pop3d
