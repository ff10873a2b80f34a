// The AUTHORIZATION state of a POP3 session (RFC 1939 section 4, RFC 2449
// CAPA, RFC 5034 AUTH, RFC 2595 STLS, RFC 1939 APOP), as a state machine without I/O: it
// takes client lines and tells the connection what to do next (send a
// reply, start TLS, ask authd). USER/PASS becomes a SASL PLAIN exchange
// and APOP authd's "APOP" check (authd/apop.h), so every login goes
// through authd.
//
// Policy, with Dovecot's names and meaning: ssl = no | yes | required,
// disable_plaintext_auth (plaintext logins refused on a connection that is
// neither TLS nor from the local host).
//
// LIMITS  max_bad_commands before the connection is closed,
//         max_auth_failures failed logins per connection,
//         kAuthLineMax bytes per SASL response line.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace buzon::pop3d {

constexpr size_t kAuthLineMax = 16384;

struct LoginSettings {
  std::string greeting = "Buzon ready.";
  bool tls_available = false;          // a certificate is configured: offer STLS
  bool ssl_required = false;           // ssl = required: no login before TLS
  bool disable_plaintext_auth = true;  // no plaintext login on insecure connections
  std::vector<std::string> mechanisms; // what authd offers, upper case ("APOP" is not SASL)
  // RFC 1939 section 7: this connection's timestamp ("<...@host>") for the
  // greeting, set only when authd offers APOP (a database with clear-text
  // passwords); empty: no timestamp, APOP refused.
  std::string apop_challenge;
  std::chrono::seconds login_delay{0};  // pop3d_login_delay: CAPA LOGIN-DELAY when set
  unsigned max_bad_commands = 10;
  unsigned max_auth_failures = 3;
};

// RFC 2449 section 6.5: "LOGIN-DELAY n\r\n", or nothing when delay is 0.
// The delay is the same for every user, so both states show the number.
std::string login_delay_capa(std::chrono::seconds delay);

// What authd answered to the last AuthStart/AuthContinue.
struct AuthOutcome {
  enum class Kind { Success, Challenge, Failure, TempFailure } kind = Kind::Failure;
  std::string user;       // Success
  std::string challenge;  // Challenge (base64), or Success's final data
};

class Login {
 public:
  struct Step {
    enum class Kind {
      Reply,         // send text (close after it when close is set)
      StartTls,      // send text, then run the TLS handshake, then call tls_started()
      AuthStart,     // ask authd: mechanism, response (base64 initial response, if any)
      AuthContinue,  // give authd the client's response
      AuthCancel,    // tell authd the client cancelled; send text
    } kind = Kind::Reply;
    std::string text;
    bool close = false;
    std::string mechanism;
    std::optional<std::string> response;
  };

  // secured: the connection is TLS already (port 995) or comes from the
  // local host, which Dovecot also counts as secure.
  Login(LoginSettings settings, bool secured);

  std::string greeting() const {
    return "+OK " + settings_.greeting + (settings_.apop_challenge.empty() ? "" : " " + settings_.apop_challenge) + "\r\n";
  }
  // The longest line the connection should accept now.
  size_t line_limit() const;
  // One client line (without CRLF); the connection reports an over-long
  // line with line_too_long() instead. Between an Auth* step and
  // auth_reply() the connection holds further input (pipelined lines wait).
  Step line(std::string_view text);
  Step line_too_long();
  // The TLS handshake after STLS succeeded: the connection is secure and
  // any input buffered before it was discarded by the caller.
  void tls_started();
  // authd's answer.
  Step auth_reply(const AuthOutcome& outcome);

  bool logged_in() const { return !user_.empty(); }
  const std::string& user() const { return user_; }
  const std::string& mechanism() const { return mechanism_; }
  unsigned auth_failures() const { return failures_; }
  bool tls() const { return tls_; }

 private:
  Step capa() const;
  Step user_cmd(const std::vector<std::string>& args);
  Step pass_cmd(const std::vector<std::string>& args);
  Step auth_cmd(const std::vector<std::string>& args);
  Step apop_cmd(const std::vector<std::string>& args);
  Step bad(std::string text);
  bool plaintext_allowed() const;
  bool login_allowed() const;
  std::vector<std::string> offered_mechanisms() const;

  LoginSettings settings_;
  bool secured_;
  bool tls_ = false;
  bool in_exchange_ = false;
  bool awaiting_authd_ = false;
  unsigned bad_commands_ = 0;
  unsigned failures_ = 0;
  std::string pending_user_;  // from USER, for PASS
  std::string final_user_;    // authd said yes; waiting for the client's ack of the final data
  std::string mechanism_;
  std::string user_;
};

}  // namespace buzon::pop3d
