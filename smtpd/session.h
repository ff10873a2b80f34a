// Session - one SMTP conversation as a state machine, without any I/O: the
// connection layer feeds it the bytes it reads and writes out what comes
// back. That keeps every protocol rule testable without sockets.
//
// Framing (RFC 5321 section 2.3.8, 4.1.1; RFC 2920):
//  - Command lines end in CRLF; a bare LF is accepted as a line end unless
//    smtpd_forbid_bare_newline = reject. A command line longer than
//    line_length_limit is answered "500 5.5.0 Error: line too long" once it
//    ends; at most line_length_limit+1 bytes of it are ever held.
//  - All complete command lines in one feed() are answered in one Output
//    (PIPELINING: one write per group). Bytes after an accepted DATA are
//    message data, not commands, even in the same feed().
//  - Every 4xx/5xx reply is an error; at smtpd_hard_error_limit errors the
//    session ends with 421. Delivering a message resets the count.
//  - Beyond smtpd_soft_error_limit errors every reply is delayed by
//    smtpd_error_sleep_time (Output::delay: the connection holds the bytes
//    on a timer, so the other sessions of the process are not delayed).
//  - NOOP, VRFY and RSET beyond smtpd_junk_command_limit each count as an
//    error too; delivering a message resets that count as well.
//
// Queue file: created at the first accepted RCPT (its ID names the
// transaction in the log from then on) with the sender and client
// attributes; the recipients are written when the content starts, after
// the last restriction that may REDIRECT or BCC; content streamed during DATA,
// committed (rename into incoming/, then fsync) before "250 2.0.0 Ok:
// queued as ID". The commit is the connection's job (its fsync runs off the
// event loop, lib/queue/committer.h): the Session hands the Writer out in
// Output::commit and stops processing input until committed() tells it the
// outcome. RSET, HELO/EHLO, a failure or the end of the session discard an
// uncommitted file.
#pragma once
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/address/address.h"
#include "lib/attr/attr.h"
#include "lib/queue/queue.h"
#include "lib/tls/details.h"
#include "smtpd/data.h"
#include "smtpd/esmtp_params.h"
#include "smtpd/peer.h"
#include "smtpd/policy.h"
#include "smtpd/settings.h"

namespace buzon::smtpd {

// What the connection layer must do after a call.
struct Output {
  std::string bytes;    // replies, CRLF-terminated, to write in one go
  bool close = false;   // close the connection once bytes are written
  bool queued = false;  // a message was committed: wake qmgr
  std::chrono::milliseconds delay{0};  // write bytes only after this long
                                       // (smtpd_error_sleep_time), reading nothing meanwhile
  // STARTTLS accepted: once bytes are written, start the TLS handshake and
  // call tls_started(); input read so far has been discarded.
  bool start_tls = false;
  // AUTH: send this to authd and hand the answer to auth_reply(); no
  // further input is processed meanwhile.
  std::optional<attr::Message> auth_request;
  // A complete queue file to commit; then call Session::committed().
  std::optional<queue::Writer> commit;
  // A restriction waits for DNS (session_dns.cpp): read nothing more until
  // the session calls its DNS callback, then hand over dns_resume().
  bool dns_wait = false;
  // Client limits: send this to anvil (Settings::anvil) and hand the
  // answer to anvil_reply(); no further input is processed meanwhile.
  std::optional<attr::Message> anvil_request;
};

class Session {
 public:
  Session(const Settings& settings, Peer peer);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The 220 greeting; logs "connect from ...". For a client that the
  // smtpd_client_*_limits apply to, anvil is asked first (Output::
  // anvil_request) and the greeting, or the 421, comes with anvil_reply().
  Output start();
  // Processes client bytes. After an Output with close, further input is
  // ignored.
  Output feed(std::string_view bytes);
  // The outcome of the commit handed out in Output::commit: the reply to
  // the end of the message, then the replies to input that was waiting.
  Output committed(Status status);
  // smtpd_timeout expired waiting for the client: 421 and close.
  Output timeout();
  // The server is stopping (reload/stop). A session between transactions
  // ends now with 421; one in a transaction (MAIL given, or in DATA) is
  // allowed to finish it and ends right after.
  Output stop();
  // The connection is gone (EOF, error, or after a close Output was
  // written). Logs "lost connection" when the client did not QUIT, and the
  // "disconnect from ... commands=N" summary. Idempotent.
  void end(bool lost);

  // The TLS handshake finished (after STARTTLS, or at once in wrapper
  // mode): RFC 3207 section 4.2, the session starts over (EHLO again).
  Output tls_started(const tls::Details& details);
  // authd's answer to Output::auth_request (or the failure to get one).
  Output auth_reply(Result<attr::Message> reply);
  // Called from the loop when the DNS answers a waiting session needs
  // have all arrived; the connection then calls dns_resume().
  void on_dns_ready(std::function<void()> ready) { dns_ready_ = std::move(ready); }
  Output dns_resume();
  bool dns_answers_in() const;  // no lookup of this session is pending
  // anvil's answer to Output::anvil_request (client_limits.cpp). An error
  // (anvil down or slow) is logged and the client is not limited, as in
  // Postfix.
  Output anvil_reply(Result<attr::Message> reply);
  // A TLS handshake failed: Postfix counts it as a new TLS session all the
  // same (its CPU was spent). The newtls request for anvil when the client
  // is limited, and what to do with the answer (log the warning: the
  // session is over by then, so done holds no reference to it).
  struct AnvilNote {
    attr::Message request;
    std::function<void(Result<attr::Message>)> done;
  };
  std::optional<AnvilNote> tls_failed() const;
  // The anvil ident of this client once a connect request was sent (the
  // connection then owes anvil a disconnect), else empty.
  const std::string& anvil_ident() const { return anvil_ident_; }
  // The SASL login name once AUTH succeeded, else empty.
  const std::string& sasl_user() const { return sasl_user_; }
  std::string peer_label() const { return peer_.label(); }
  bool local() const { return peer_.local; }

  bool in_transaction() const { return mail_.has_value() || data_ != nullptr; }
  bool closed() const { return closed_; }

  // Handlers, one per verb (commands.cpp). arg is the text after the verb
  // and its blanks, without trailing blanks.
  void cmd_helo(std::string_view arg);
  void cmd_ehlo(std::string_view arg);
  void cmd_mail(std::string_view arg);
  void cmd_rcpt(std::string_view arg);
  void cmd_data(std::string_view arg);
  void cmd_rset(std::string_view arg);
  void cmd_noop(std::string_view arg);
  void cmd_quit(std::string_view arg);
  void cmd_help(std::string_view arg);
  void cmd_vrfy(std::string_view arg);
  void cmd_bdat(std::string_view arg);  // bdat.cpp
  void cmd_starttls(std::string_view arg);  // tls_cmd.cpp
  void cmd_auth(std::string_view arg);      // auth_cmd.cpp

 private:
  struct Transaction {
    address::Address sender;
    MailParams params;                    // MAIL FROM parameters (DSN, SMTPUTF8)
    std::optional<queue::Writer> writer;
    std::vector<std::string> recipients;  // as accepted (for Received: "for" and the log)
    std::set<std::string> seen;           // duplicate recipients are queued once
    size_t accepted = 0;                  // accepted RCPT commands, duplicates included
    std::string added_message_id;         // the Message-ID smtpd added, if any
    // Access table HOLD and DISCARD (access(5)): the whole message goes to
    // the hold queue, or is answered 250 and dropped.
    enum class Disposition { Queue, Hold, Discard } disposition = Disposition::Queue;
    // The other access(5) message actions (session_actions.cpp).
    std::string filter;                // FILTER transport:destination; the last one wins
    std::string redirect;              // REDIRECT: replaces every recipient; the last one wins
    std::vector<std::string> bcc;      // BCC: one more recipient each, without DSN
    std::vector<std::string> prepend;  // PREPEND: header lines above our Received:
    // The accepted recipients, written to the queue file when the content
    // starts: a REDIRECT or BCC may come as late as the DATA command.
    struct Recipient {
      std::string address, original;
      queue::RecipientDsn dsn;
    };
    std::vector<Recipient> to_write;
  };
  // The BDAT chunk being read (RFC 3030): its bytes are content, or are
  // discarded when the chunk is refused (the reply is sent once the chunk
  // has been read, so that pipelined replies stay in order).
  struct Chunk {
    bool active = false;
    unsigned long long size = 0;
    unsigned long long remaining = 0;
    bool last = false;
    std::string refusal;  // the reply when the chunk is refused, else empty
  };
  struct Count {
    unsigned ok = 0;
    unsigned total = 0;
  };
  Output take();

  void process();
  void command_line(std::string_view line, bool bare_lf);
  void dispatch(std::string_view line);
  // Appends one reply line. A 4xx/5xx counts as a client error unless
  // counts_as_error is false (452 too many recipients: RFC 5321 4.5.3.1.10
  // expects the client to go on in a new transaction, not to be dropped).
  void reply(std::string_view line, bool counts_as_error = true);
  void close_with(std::string_view line);
  void too_long();
  void check_error_limit();
  void write_sender_records();
  // session_actions.cpp: applies the message actions of an access table
  // (restrictions.h Verdict::actions), and writes what they changed when
  // the content starts: the recipients, the content_filter attribute and
  // the PREPEND headers.
  void apply_action(std::string_view kind, const std::string& value);
  Status write_recipient_records();
  Status write_prepended_headers();
  void end_data(bool chunked = false);
  void finish_message(Status committed);
  void take_chunk_bytes(std::string_view bytes);
  void end_chunk();
  // Starts the message content (Received: header, DataReader). chunked:
  // BDAT, whose size limit the session checks per chunk.
  Status start_content(bool chunked = false);
  void reset_transaction();
  void count(size_t command, bool ok);
  // A NOOP, VRFY or RSET: beyond smtpd_junk_command_limit it is an error.
  void junk_command();
  std::string queue_id_or_noqueue() const;
  // "QID: reject: STAGE from ...: REPLY; from=<..> to=<..> proto=.. helo=<..>";
  // action is "reject", "reject_warning" or "warn".
  void log_reject(std::string_view stage, std::string_view reply_line, std::string_view rcpt = {},
                  std::string_view action = "reject");
  // RFC 3848: ESMTPS after STARTTLS, ESMTPA after AUTH, ESMTPSA with both.
  std::string protocol() const {
    if (!ehlo_) return "SMTP";
    return std::string("ESMTP") + (tls_ ? "S" : "") + (sasl_user_.empty() ? "" : "A");
  }
  // tls_cmd.cpp / auth_cmd.cpp
  void ehlo_security(std::vector<std::string>& lines) const;
  std::string_view tls_gate(std::string_view verb) const;
  std::vector<std::string> sasl_mechanisms() const;
  bool sasl_wants_line() const { return sasl_ == Sasl::WaitLine || sasl_ == Sasl::WaitFinalLine; }
  void auth_line(std::string_view line);
  void auth_send(attr::Message m);
  void auth_done(bool ok);
  // MAIL FROM parameters without AUTH= (RFC 4954 section 5), when AUTH is
  // enabled; the Error's message is the reply to an empty AUTH=.
  Result<std::string> strip_auth_param(std::string_view params) const;
  void queue_error(const Error& e);
  // Postfix's "local" header rewrite context: local submission, or a
  // client that local_header_rewrite_clients names. Its mail gets the
  // Date:, Message-ID: and From: headers it lacks.
  bool completes_headers() const;

  // Restriction hooks (session_policy.cpp). Each returns the reply line
  // that refuses the command, or "" to go on; they log as Postfix does.
  // Local submission is exempt from every list.
  Facts policy_facts(std::string_view command) const;
  bool sender_is_local(const address::Address& a) const;
  void log_verdict(std::string_view stage, const Verdict& v, std::string_view rcpt = {});
  std::string policy_connect();
  std::string policy_helo(const std::string& helo);
  std::string policy_mail(const address::Address& sender);
  std::string policy_rcpt(const address::Address& rcpt, const Resolved& route, bool known);
  std::string policy_data();
  // DNS for the restrictions (session_dns.cpp). dns_facts() fills what
  // the lists need into f, starting lookups not yet made; false means an
  // answer is pending: the command returns without a reply (dns_wait_)
  // and is handled again from the start once the answers are in.
  bool dns_facts(Facts& f);
  DnsStatus dns_status(const std::string& name);  // NotLooked while pending
  void dns_prefetch(const std::string& name);

  // Client limits (session_limits.cpp). anvil_ask() makes the session wait
  // for anvil; MAIL, RCPT and AUTH are re-run with the rate check passed.
  // StartTls and TlsWrapper look up the new TLS session rate before a
  // handshake; NewTls counts a handshake that was not a resumption.
  enum class AnvilWait { None, Connect, Mail, Rcpt, Auth, StartTls, TlsWrapper, NewTls };
  void anvil_ask(AnvilWait what, std::string_view request, std::string_view arg);
  // True when the command must wait for anvil's message, recipient or
  // AUTH rate.
  bool rate_check(AnvilWait what, std::string_view arg);
  // True when the new TLS session rate is to be asked before a handshake.
  bool tls_rate_limited() const { return limited_ && s_.limits.new_tls_rate > 0; }
  // Implicit TLS (smtpd_tls_wrappermode): the handshake comes before the
  // connection limits and the greeting, as in Postfix.
  bool wrapper_tls() const { return s_.security.wrappermode && s_.security.tls && !peer_.local; }
  void connect_checks();  // the connection limits, then greet()
  void greet();
  void starttls_go();     // 220 and the handshake

  const Settings& s_;
  Peer peer_;
  std::string in_;            // unprocessed input: at most one partial command line
  std::string out_;           // replies of the current feed()
  bool closed_ = false;
  bool queued_ = false;
  std::optional<queue::Writer> to_commit_;  // handed out by the next take()
  // The message waiting for its commit: no input is processed meanwhile.
  struct Committing {
    std::string id;
    bool chunked = false;
    unsigned long long size = 0;  // BDAT bytes, for the reply
  };
  std::optional<Committing> committing_;
  bool stopping_ = false;
  bool skipping_ = false;     // discarding the rest of an over-long line
  bool ended_ = false;
  bool quit_ = false;
  unsigned errors_ = 0;
  unsigned junk_ = 0;          // NOOP/VRFY/RSET since the last delivered message
  bool tarpit_logged_ = false;
  std::chrono::milliseconds delay_{0};  // of the replies of the current feed()
  std::string last_verb_ = "CONNECT";  // for "timeout after X", "lost connection after X"
  int last_code_ = 0;
  bool pipelined_ = false;      // more input followed the command being handled
  std::optional<net::IpAddr> client_ip_;
  bool in_mynetworks_ = false;
  std::string access_denied_;   // smtpd_delay_reject = no: the client was refused at connect

  std::string helo_;          // printable HELO/EHLO argument
  bool ehlo_ = false;
  std::optional<Transaction> mail_;
  std::unique_ptr<DataReader> data_;  // DATA, or the message of a BDAT transaction
  bool chunking_ = false;             // a BDAT transaction: data_ takes chunks between commands
  unsigned long long chunked_size_ = 0;  // BDAT bytes of this message so far
  std::string chunk_failure_;         // a BDAT transaction failed: every chunk up to LAST gets this reply
  Chunk chunk_;
  std::time_t data_started_ = 0;

  // Command counts for the disconnect line, in command table order; the
  // last slot counts unrecognized commands.
  std::vector<Count> counts_;
  size_t data_command_ = 0;  // table index of DATA, counted when the data ends
  size_t bdat_command_ = 0;  // table index of BDAT, counted when its chunk ends

  // TLS (tls_cmd.cpp)
  bool tls_ = false;
  bool start_tls_ = false;
  tls::Details tls_details_;
  // SASL (auth_cmd.cpp): Idle, waiting for authd, or for the client's next
  // line (a response to 334, or the empty line after the final 334).
  enum class Sasl { Idle, WaitAuthd, WaitLine, WaitFinalLine } sasl_ = Sasl::Idle;
  enum class Abort { None, Cancelled, Undecodable, TooLong } sasl_abort_ = Abort::None;
  std::string sasl_mech_;
  std::string sasl_user_;
  std::optional<attr::Message> auth_request_;

  // DNS (session_dns.cpp): answers by name, at most kDnsCacheMax names.
  std::map<std::string, DnsStatus> dns_cache_;
  bool dns_wait_ = false;
  std::function<void()> dns_ready_;
  // Lookups that outlive the session see it expired and do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Client limits (session_limits.cpp)
  bool limited_ = false;         // the smtpd_client_*_limits apply to this client
  AnvilWait anvil_wait_ = AnvilWait::None;
  bool anvil_passed_ = false;    // re-running MAIL/RCPT/AUTH after anvil's answer
  std::string anvil_arg_;        // the argument of the MAIL/RCPT/AUTH waiting for anvil
  std::string anvil_ident_;      // service:address, once connect was sent
  std::optional<attr::Message> anvil_request_;
};

}  // namespace buzon::smtpd
