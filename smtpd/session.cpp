// Session framing, replies, the DATA phase and logging; the command
// handlers are in commands.cpp.
#include "smtpd/session.h"

#include <algorithm>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "smtpd/commands.h"
#include "smtpd/received.h"

namespace buzon::smtpd {

Session::Session(const Settings& settings, Peer peer)
    : s_(settings), peer_(std::move(peer)), counts_(command_table().size() + 1) {
  data_command_ = find_command("DATA");
  bdat_command_ = find_command("BDAT");
  if (!peer_.local) {
    client_ip_ = net::parse_ip(peer_.addr);
    in_mynetworks_ = s_.policy->in_mynetworks(client_ip_);
    // Postfix: anvil hears of every client of a limited service that is
    // not an exception, whichever limit is set, so that all rates count.
    limited_ = s_.anvil && s_.limits.any() && !s_.limits.exempt(client_ip_, peer_.name);
  }
}

Session::~Session() { end(!closed_); }

Output Session::take() {
  Output o;
  o.bytes = std::move(out_);
  out_.clear();
  o.close = closed_;
  o.queued = std::exchange(queued_, false);
  o.delay = std::exchange(delay_, std::chrono::milliseconds{0});
  o.start_tls = std::exchange(start_tls_, false);
  o.auth_request = std::move(auth_request_);
  auth_request_.reset();
  if (to_commit_) {
    o.commit.emplace(std::move(*to_commit_));
    to_commit_.reset();
  }
  o.dns_wait = dns_wait_ && !closed_;
  o.anvil_request = std::move(anvil_request_);
  anvil_request_.reset();
  return o;
}

Output Session::start() {
  log::info("connect from " + peer_.label());
  if (wrapper_tls()) {
    // The handshake first (tls_started() goes on); a client over its new
    // TLS session rate does not get one (session_limits.cpp).
    if (tls_rate_limited()) anvil_ask(AnvilWait::TlsWrapper, "lookup", "");
    else start_tls_ = true;
    return take();
  }
  connect_checks();
  return take();
}

void Session::greet() {
  if (std::string refusal = policy_connect(); !refusal.empty()) return reply(refusal);
  reply("220 " + s_.banner);
}

Output Session::feed(std::string_view bytes) {
  if (closed_) return {};
  in_.append(bytes);
  process();
  return take();
}

Output Session::committed(Status status) {
  finish_message(std::move(status));
  if (!closed_) process();
  return take();
}

Output Session::timeout() {
  if (closed_) return {};
  log::info("timeout after " + last_verb_ + " from " + peer_.label());
  close_with("421 4.4.2 " + s_.hostname + " Error: timeout exceeded");
  return take();
}

Output Session::stop() {
  stopping_ = true;
  // Wrapper mode before the handshake: nothing can be said in plaintext.
  if (anvil_wait_ == AnvilWait::TlsWrapper) closed_ = true;
  if (!closed_ && !in_transaction()) close_with("421 4.3.2 " + s_.hostname + " Service shutting down");
  return take();
}

void Session::end(bool lost) {
  if (ended_) return;
  ended_ = true;
  data_.reset();
  reset_transaction();  // an uncommitted queue file is removed here
  if (lost && !quit_) log::info("lost connection after " + last_verb_ + " from " + peer_.label());
  // Postfix's summary: "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4".
  std::string line = "disconnect from " + peer_.label();
  Count all;
  auto table = command_table();
  for (size_t i = 0; i < counts_.size(); ++i) {
    const Count& c = counts_[i];
    if (c.total == 0) continue;
    std::string name = i < table.size() ? str::lower(table[i].name) : "unknown";
    line += " " + name + "=" + (c.ok == c.total ? std::to_string(c.total)
                                                : std::to_string(c.ok) + "/" + std::to_string(c.total));
    all.ok += c.ok;
    all.total += c.total;
  }
  line += " commands=" + (all.ok == all.total ? std::to_string(all.total)
                                              : std::to_string(all.ok) + "/" + std::to_string(all.total));
  log::info(line);
}

void Session::process() {
  size_t pos = 0;
  while (pos < in_.size() && !closed_ && !committing_) {
    // Waiting for authd or for the TLS handshake: the rest waits (or, for
    // STARTTLS, is discarded below).
    if (sasl_ == Sasl::WaitAuthd || start_tls_ || dns_wait_ || anvil_wait_ != AnvilWait::None) break;
    const size_t line_limit = sasl_wants_line() ? std::max(s_.line_limit, s_.security.sasl_response_limit)
                                                : s_.line_limit;
    if (chunk_.active) {
      size_t n = static_cast<size_t>(std::min<unsigned long long>(chunk_.remaining, in_.size() - pos));
      take_chunk_bytes(std::string_view(in_).substr(pos, n));
      pos += n;
      if (chunk_.remaining > 0) break;
      end_chunk();
      check_error_limit();
      continue;
    }
    if (data_ && !chunking_) {
      pos += data_->feed(std::string_view(in_).substr(pos));
      if (!data_->done()) break;
      end_data();
      check_error_limit();
      continue;
    }
    size_t lf = in_.find('\n', pos);
    if (skipping_) {
      if (lf == std::string::npos) {
        pos = in_.size();
        break;
      }
      pos = lf + 1;
      skipping_ = false;
      too_long();
      check_error_limit();
      continue;
    }
    if (lf == std::string::npos) {
      // Never hold more than one line's worth: the +1 leaves room for the
      // CR of a CRLF that has not arrived yet.
      if (in_.size() - pos > line_limit + 1) {
        skipping_ = true;
        pos = in_.size();
      }
      break;
    }
    // Copy the line out: handlers may not see in_ change under them, and
    // a line is at most line_length_limit bytes.
    std::string line = in_.substr(pos, lf - pos);
    const size_t line_start = pos;
    pos = lf + 1;
    bool bare_lf = line.empty() || line.back() != '\r';
    if (!bare_lf) line.pop_back();
    pipelined_ = pos < in_.size();  // for reject_unauth_pipelining
    command_line(line, bare_lf);
    // Waiting for DNS: the command runs again from the start once the
    // answers are in; it had no effect yet.
    if (dns_wait_) {
      pos = line_start;
      break;
    }
    check_error_limit();
  }
  in_.erase(0, pos);
  // RFC 3207 section 4.2 / CVE-2011-0411: plaintext pipelined behind
  // STARTTLS is never executed after the handshake.
  if (start_tls_) in_.clear();
  if (stopping_ && !closed_ && !in_transaction())
    close_with("421 4.3.2 " + s_.hostname + " Service shutting down");
}

void Session::command_line(std::string_view line, bool bare_lf) {
  if (sasl_wants_line()) return auth_line(line);
  if (line.size() > s_.line_limit) return too_long();
  if (bare_lf && s_.bare_newline == BareNewline::Reject) {
    log::info("NOQUEUE: reject: bare <LF> in command from " + peer_.label());
    return reply("550 5.5.2 Error: bare <LF> received");
  }
  // RFC 6531 section 3.3: with SMTPUTF8, 8-bit command text must be UTF-8
  // (it reaches addresses, the log and queue files).
  if (s_.smtputf8 && !address::valid_utf8(line)) {
    last_verb_ = "UNKNOWN";
    reply("500 5.5.2 Error: bad UTF-8 syntax");
    return count(counts_.size() - 1, false);
  }
  // Once the server is stopping, a session between transactions may still
  // say goodbye but starts nothing new.
  if (stopping_ && !in_transaction()) {
    std::string_view verb = line.substr(0, line.find(' '));
    if (!str::iequals(verb, "QUIT")) return close_with("421 4.3.2 " + s_.hostname + " Service shutting down");
  }
  dispatch(line);
}

void Session::dispatch(std::string_view line) {
  // RFC 5321 says one SP between verb and argument; like Postfix, accept
  // any run of blanks there and ignore trailing ones (a quoted local part
  // ends before its closing '>', so no argument loses a meaningful blank).
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!line.empty() && blank(line.back())) line.remove_suffix(1);
  while (!line.empty() && blank(line.front())) line.remove_prefix(1);
  size_t sp = line.find_first_of(" \t");
  std::string_view verb = line.substr(0, sp);
  std::string_view arg = sp == std::string_view::npos ? std::string_view() : line.substr(sp);
  while (!arg.empty() && blank(arg.front())) arg.remove_prefix(1);
  if (verb.empty()) {
    last_verb_ = "UNKNOWN";
    reply("500 5.5.2 Error: bad syntax");
    return count(counts_.size() - 1, false);
  }
  size_t index = find_command(verb);
  auto table = command_table();
  if (index >= table.size()) {
    last_verb_ = "UNKNOWN";
    reply("500 5.5.2 Error: command not recognized");  // Postfix 3.7's code
    return count(counts_.size() - 1, false);
  }
  last_verb_ = std::string(table[index].name);
  last_code_ = 0;
  // Postfix: a client refused at connect (smtpd_delay_reject = no) gets
  // nothing but this until it says QUIT.
  if (!access_denied_.empty() && table[index].handler != &Session::cmd_quit) {
    reply("503 5.7.0 Error: access denied for " + peer_.label());
    return count(index, false);
  }
  if (auto refusal = tls_gate(table[index].name); !refusal.empty()) {
    reply(refusal);
    return count(index, false);
  }
  (this->*table[index].handler)(arg);
  if (dns_wait_) return;  // counted when it runs again
  // An accepted DATA is counted when its data ends, a BDAT when its chunk
  // was read.
  if (index == data_command_ && data_ && !chunking_) return;
  if (index == bdat_command_ && chunk_.active) return;
  // An AUTH is counted when its exchange ends, a MAIL or RCPT that waits
  // for anvil once it is answered.
  if (sasl_ != Sasl::Idle || anvil_wait_ != AnvilWait::None) return;
  count(index, last_code_ > 0 && last_code_ < 400);
}

void Session::count(size_t command, bool ok) {
  Count& c = counts_[command];
  ++c.total;
  if (ok) ++c.ok;
}

void Session::reply(std::string_view line, bool counts_as_error) {
  // Postfix 2.1+: once a client made more than smtpd_soft_error_limit
  // errors without delivering mail, every reply is slowed down.
  if (errors_ > s_.soft_error_limit && s_.error_sleep.count() > 0) {
    delay_ += s_.error_sleep;
    if (!tarpit_logged_) {
      tarpit_logged_ = true;
      log::info("too many errors after " + last_verb_ + " from " + peer_.label() +
                ": replies delayed by smtpd_error_sleep_time");
    }
  }
  out_.append(line);
  out_.append("\r\n");
  int code = 0;
  for (size_t i = 0; i < 3 && i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) code = code * 10 + (line[i] - '0');
  last_code_ = code;
  if (code >= 400 && code != 421 && counts_as_error) ++errors_;
}

void Session::junk_command() {
  if (++junk_ > s_.junk_command_limit) ++errors_;
}

void Session::close_with(std::string_view line) {
  reply(line);
  closed_ = true;
}

void Session::too_long() {
  if (sasl_wants_line()) {
    // An over-long SASL response ends the exchange (authd is told).
    sasl_abort_ = Abort::TooLong;
    attr::Message m;
    m.set("request", "cancel");
    return auth_send(std::move(m));
  }
  last_verb_ = "UNKNOWN";
  reply("500 5.5.0 Error: line too long");
}

void Session::check_error_limit() {
  if (closed_ || errors_ < s_.hard_error_limit) return;
  log::info("too many errors after " + last_verb_ + " from " + peer_.label());
  close_with("421 4.7.0 " + s_.hostname + " Error: too many errors");
}

void Session::reset_transaction() {
  // Destroying an uncommitted Writer removes its file from tmp/. The
  // DataReader writes to it, so it goes first.
  data_.reset();
  chunking_ = false;
  chunked_size_ = 0;
  chunk_failure_.clear();
  mail_.reset();
}

std::string Session::queue_id_or_noqueue() const {
  if (mail_ && mail_->writer) return mail_->writer->id();
  return "NOQUEUE";
}

void Session::log_reject(std::string_view stage, std::string_view reply_line, std::string_view rcpt,
                         std::string_view action) {
  std::string line = queue_id_or_noqueue() + ": " + std::string(action) + ": " + std::string(stage) + " from " +
                     peer_.label() + ": " + std::string(reply_line) + ";";
  if (mail_) line += " from=<" + mail_->sender.text() + ">";
  if (!rcpt.empty()) line += " to=<" + std::string(rcpt) + ">";
  line += " proto=" + protocol();
  if (!helo_.empty()) line += " helo=<" + helo_ + ">";
  log::info(line);
}

void Session::queue_error(const Error& e) {
  log::warning((mail_ && mail_->writer ? mail_->writer->id() + ": " : std::string()) + e.message);
}

// ---- DATA

Status Session::start_content(bool chunked) {
  Transaction& t = *mail_;
  const std::time_t now = std::time(nullptr);
  data_started_ = now;
  TraceInfo ti;
  ti.helo = helo_;
  ti.client_name = peer_.name;
  ti.client_addr = peer_.addr;
  ti.local = peer_.local;
  ti.uid = peer_.uid;
  ti.hostname = s_.hostname;
  ti.mail_name = s_.mail_name;
  ti.protocol = with_protocol(ehlo_, t.params.smtputf8, tls_, !sasl_user_.empty());
  if (tls_ && s_.security.received_tls) ti.tls = tls::describe(tls_details_);
  if (!sasl_user_.empty() && s_.security.authenticated_header) ti.auth_user = sasl_user_;
  ti.queue_id = t.writer->id();
  if (t.recipients.size() == 1) ti.for_rcpt = t.recipients.front();
  Status st = write_recipient_records();
  if (st) st = t.writer->begin_content();
  if (st) st = write_prepended_headers();
  if (st) st = t.writer->append(received_header(ti, now));
  if (!st) {
    queue_error(st.error());
    return st;
  }

  DataReader::Limits limits;
  limits.message_size_limit = chunked ? 0 : s_.message_size_limit;
  limits.header_size_limit = s_.header_size_limit;
  limits.drop_headers = s_.drop_headers;
  DataReader::HeaderEnd header_end;
  if (completes_headers()) {
    // Postfix's cleanup completes mail from local submitters (sendmail)
    // and local_header_rewrite_clients: RFC 5322 3.6 requires Date: and
    // From:, and Message-ID: keeps replies threaded. Other network
    // clients' messages are left as sent (always_add_missing_headers = no).
    header_end = [this, now](const DataSummary& sum) {
      std::string add;
      if (!sum.has_date) add += "Date: " + rfc5322_date(now) + "\n";
      if (!sum.has_message_id) {
        mail_->added_message_id = message_id(mail_->writer->id(), s_.hostname, now);
        add += "Message-ID: " + mail_->added_message_id + "\n";
      }
      if (!sum.has_from && !mail_->sender.is_null) add += "From: " + mail_->sender.text() + "\n";
      return add;
    };
  }
  data_ = std::make_unique<DataReader>(
      limits, [this](std::string_view bytes) { return mail_->writer->append(bytes); }, std::move(header_end));
  return {};
}

bool Session::completes_headers() const {
  if (peer_.local || s_.always_add_headers) return true;
  const HeaderRewriteClients& r = s_.header_rewrite;
  if (r.all || (r.mynetworks && in_mynetworks_) || (r.sasl && !sasl_user_.empty())) return true;
  if (r.inet_interfaces && client_ip_) {
    const auto& own = s_.policy->own_addresses;
    return std::find(own.begin(), own.end(), *client_ip_) != own.end();
  }
  return false;
}

void Session::end_data(bool chunked) {
  const DataSummary sum = data_->summary();
  std::optional<Error> sink_error = data_->sink_error();
  data_.reset();
  if (!chunked) last_verb_ = "END-OF-MESSAGE";
  Transaction& t = *mail_;
  const std::string id = t.writer->id();

  std::string refusal;
  if (sink_error) {
    queue_error(*sink_error);
    refusal = "451 4.3.0 Error: queue file write error";
  } else if (sum.too_big) {
    refusal = "552 5.3.4 Error: message file too big";
  } else if (!chunked && s_.bare_newline == BareNewline::Reject && sum.bare_lf) {
    // BDAT content is binary-transparent (RFC 3030): no line rules apply.
    refusal = "550 5.5.2 Error: bare <LF> received";
  } else if (!chunked && s_.bare_newline == BareNewline::Reject && sum.bare_cr) {
    refusal = "550 5.5.2 Error: bare <CR> received";
  } else if (sum.received_headers + 1 >= s_.hopcount_limit) {
    // Postfix's cleanup counts the Received: smtpd prepends too, and
    // refuses at hopcount_limit (a mail loop: RFC 5321 section 6.3).
    refusal = "554 5.4.0 Error: too many hops";
  }
  if (!refusal.empty()) {
    if (refusal[0] == '5') log_reject(chunked ? "BDAT" : "END-OF-MESSAGE", refusal);
    reply(refusal);
    count(chunked ? bdat_command_ : data_command_, false);
    return reset_transaction();
  }
  committing_ = Committing{id, chunked, chunked_size_};
  // Postfix's cleanup logs the Message-ID; qmgr logs from=, size=, nrcpt=.
  // Logged before the commit: qmgr may take the file while it is synced.
  const std::string& message_id = sum.has_message_id ? sum.message_id : t.added_message_id;
  if (!message_id.empty()) log::info(id, {{"message-id", message_id}});
  if (t.disposition == Transaction::Disposition::Discard) {
    // access(5) DISCARD: the client hears that the message was queued; the
    // file is dropped with the transaction (logged at the restriction).
    return finish_message({});
  }
  if (t.disposition == Transaction::Disposition::Hold) t.writer->hold_on_commit();
  to_commit_.emplace(std::move(*t.writer));
  t.writer.reset();
}

void Session::finish_message(Status committed) {
  if (!committing_ || !mail_) return;
  Committing c = std::move(*committing_);
  committing_.reset();
  const size_t command = c.chunked ? bdat_command_ : data_command_;
  const std::string& id = c.id;
  if (!committed) {
    queue_error(committed.error());
    reply("451 4.3.0 Error: queue file write error");
    count(command, false);
    return reset_transaction();
  }
  // Postfix's BDAT LAST reply names the message size in bytes as received.
  reply(c.chunked ? "250 2.0.0 Ok: " + std::to_string(c.size) + " bytes queued as " + id
                  : "250 2.0.0 Ok: queued as " + id);
  count(command, true);
  queued_ = true;
  errors_ = 0;  // smtpd_hard_error_limit counts errors "without delivering mail"
  junk_ = 0;
  tarpit_logged_ = false;
  reset_transaction();
}

}  // namespace buzon::smtpd
