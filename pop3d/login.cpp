#include "pop3d/login.h"

#include <cctype>
#include <utility>

#include "lib/password/base64.h"
#include "pop3d/command.h"

namespace buzon::pop3d {
namespace {

using Kind = Login::Step::Kind;

Login::Step reply(std::string text, bool close = false) { return {Kind::Reply, std::move(text) + "\r\n", close, {}, {}}; }

// Mechanisms that carry the password itself (RFC 4616 PLAIN, LOGIN).
bool plaintext_mechanism(std::string_view m) { return m == "PLAIN" || m == "LOGIN"; }

constexpr const char* kPlaintextDisallowed =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

}  // namespace

Login::Login(LoginSettings settings, bool secured) : settings_(std::move(settings)), secured_(secured) {}

size_t Login::line_limit() const { return in_exchange_ ? kAuthLineMax : kCommandLineMax; }

bool Login::plaintext_allowed() const { return login_allowed() && (!settings_.disable_plaintext_auth || secured_ || tls_); }

bool Login::login_allowed() const { return !settings_.ssl_required || tls_; }

std::vector<std::string> Login::offered_mechanisms() const {
  std::vector<std::string> out;
  if (!login_allowed()) return out;
  for (const auto& m : settings_.mechanisms)
    if (m != "APOP" && (plaintext_allowed() || !plaintext_mechanism(m))) out.push_back(m);
  return out;
}

Login::Step Login::bad(std::string text) {
  if (++bad_commands_ >= settings_.max_bad_commands) return reply("-ERR Too many invalid commands.", true);
  return reply(std::move(text));
}

Login::Step Login::line_too_long() {
  if (in_exchange_) {
    in_exchange_ = false;
    return {Kind::AuthCancel, "-ERR Authentication response too long.\r\n", false, {}, {}};
  }
  return bad("-ERR Line too long.");
}

Login::Step Login::line(std::string_view text) {
  if (awaiting_authd_) return reply("-ERR Authentication in progress.", true);  // the connection holds input meanwhile
  if (in_exchange_) {
    if (text == "*") {
      in_exchange_ = false;
      return {Kind::AuthCancel, "-ERR Authentication aborted by client.\r\n", false, {}, {}};
    }
    if (!final_user_.empty()) {
      // RFC 5034 section 4: the client acknowledges the server's final
      // SASL data (SCRAM's signature) with an empty line.
      in_exchange_ = false;
      std::string user = std::exchange(final_user_, {});
      if (!text.empty()) return auth_reply({AuthOutcome::Kind::Failure, {}, {}});
      user_ = std::move(user);
      return reply("+OK Logged in.");
    }
    awaiting_authd_ = true;
    return {Kind::AuthContinue, {}, false, {}, std::string(text)};
  }
  auto cmd = parse_command(text);
  if (!cmd) return bad("-ERR Unknown command.");
  const std::string& v = cmd->verb;
  if (v == "CAPA") return capa();
  if (v == "USER") return user_cmd(cmd->args);
  if (v == "PASS") return pass_cmd(cmd->args);
  if (v == "AUTH") return auth_cmd(cmd->args);
  if (v == "APOP") return apop_cmd(cmd->args);
  if (v == "NOOP") return reply("+OK");
  if (v == "QUIT") return reply("+OK Logging out.", true);
  if (v == "STLS") {
    if (tls_) return bad("-ERR TLS is already active.");
    if (!settings_.tls_available) return bad("-ERR TLS support isn't enabled.");
    return {Kind::StartTls, "+OK Begin TLS negotiation now.\r\n", false, {}, {}};
  }
  return bad("-ERR Unknown command.");
}

std::string login_delay_capa(std::chrono::seconds delay) {
  return delay.count() > 0 ? "LOGIN-DELAY " + std::to_string(delay.count()) + "\r\n" : "";
}

Login::Step Login::capa() const {
  std::string t = "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n";
  if (settings_.tls_available && !tls_) t += "STLS\r\n";
  if (plaintext_allowed()) t += "USER\r\n";
  auto mechs = offered_mechanisms();
  if (!mechs.empty()) {
    t += "SASL";
    for (const auto& m : mechs) t += " " + m;
    t += "\r\n";
  }
  t += login_delay_capa(settings_.login_delay);
  t += "IMPLEMENTATION Buzon\r\n.\r\n";
  return {Kind::Reply, t, false, {}, {}};
}

Login::Step Login::user_cmd(const std::vector<std::string>& args) {
  if (args.size() != 1) return bad("-ERR Wrong number of arguments.");
  if (!plaintext_allowed()) return bad(kPlaintextDisallowed);
  pending_user_ = args[0];
  return reply("+OK");
}

Login::Step Login::pass_cmd(const std::vector<std::string>& args) {
  if (pending_user_.empty()) return bad("-ERR No username given.");
  if (args.size() != 1) return bad("-ERR Wrong number of arguments.");
  std::string plain = std::string(1, '\0') + pending_user_ + std::string(1, '\0') + args[0];
  pending_user_.clear();
  mechanism_ = "PLAIN";
  awaiting_authd_ = true;
  return {Kind::AuthStart, {}, false, "PLAIN", password::base64_encode(plain)};
}

Login::Step Login::auth_cmd(const std::vector<std::string>& args) {
  if (args.empty()) {
    // Pre-RFC 5034 clients probe with a bare AUTH: list the mechanisms.
    std::string t = "+OK\r\n";
    for (const auto& m : offered_mechanisms()) t += m + "\r\n";
    return {Kind::Reply, t + ".\r\n", false, {}, {}};
  }
  std::string mech;
  for (char c : args[0]) mech += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!login_allowed() || (plaintext_mechanism(mech) && !plaintext_allowed())) return bad(kPlaintextDisallowed);
  bool offered = false;
  for (const auto& m : offered_mechanisms()) offered |= m == mech;
  if (!offered) return bad("-ERR Unsupported authentication mechanism.");
  mechanism_ = mech;
  awaiting_authd_ = true;
  std::optional<std::string> initial;
  if (args.size() == 2) initial = args[1] == "=" ? std::string() : args[1];  // RFC 5034: "=" is an empty response
  return {Kind::AuthStart, {}, false, mech, initial};
}

Login::Step Login::apop_cmd(const std::vector<std::string>& args) {
  if (settings_.apop_challenge.empty()) return bad("-ERR APOP not enabled.");
  if (args.size() != 2) return bad("-ERR Wrong number of arguments.");
  // The digest does not reveal the password, so APOP is not a plaintext
  // login (Dovecot allows it with disable_plaintext_auth); ssl = required
  // still wants TLS first.
  if (!login_allowed()) return bad(kPlaintextDisallowed);
  std::string data = settings_.apop_challenge + '\0' + args[0] + '\0' + args[1];
  mechanism_ = "APOP";
  awaiting_authd_ = true;
  return {Kind::AuthStart, {}, false, "APOP", password::base64_encode(data)};
}

void Login::tls_started() {
  tls_ = true;
  // RFC 2595 section 4: what was learned before the handshake is forgotten.
  pending_user_.clear();
}

Login::Step Login::auth_reply(const AuthOutcome& outcome) {
  awaiting_authd_ = false;
  switch (outcome.kind) {
    case AuthOutcome::Kind::Challenge:
      in_exchange_ = true;
      return reply("+ " + outcome.challenge);
    case AuthOutcome::Kind::Success:
      if (!outcome.challenge.empty()) {
        in_exchange_ = true;
        final_user_ = outcome.user;
        return reply("+ " + outcome.challenge);
      }
      in_exchange_ = false;
      user_ = outcome.user;
      return reply("+OK Logged in.");
    case AuthOutcome::Kind::TempFailure:
      in_exchange_ = false;
      return reply("-ERR [SYS/TEMP] Temporary authentication failure.");
    case AuthOutcome::Kind::Failure:
      break;
  }
  in_exchange_ = false;
  bool last = ++failures_ >= settings_.max_auth_failures;
  return reply("-ERR [AUTH] Authentication failed.", last);
}

}  // namespace buzon::pop3d
