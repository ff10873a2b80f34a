// pop3d's main.cf settings, read once per process. Dovecot's names where
// Dovecot has the setting (ssl, ssl_cert, ssl_key, disable_plaintext_auth,
// mail_location), pop3d_* for the rest. The TLS context is built in
// pre_jail, as root, since key files are usually readable by root only.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/core/result.h"
#include "lib/mailbox/locks.h"
#include "lib/tls/server_context.h"
#include "pop3d/login.h"

namespace buzon::config { class MainCf; }
namespace buzon::daemon { struct Context; }

namespace buzon::pop3d {

struct Settings {
  const config::MainCf* cf = nullptr;  // for the user and mail_location lookups after login
  LoginSettings login;                 // mechanisms are filled in per connection
  // The mechanisms authd offers now (cached; empty when authd is down),
  // with "APOP" when authd can check APOP.
  std::function<std::vector<std::string>()> mechanisms;
  std::shared_ptr<const tls::ServerContext> tls;  // set unless ssl = no
  bool wrappermode = false;                       // pop3d_tls_wrappermode (pop3s, port 995)
  std::chrono::seconds timeout{600};              // pop3d_timeout: autologout
  std::chrono::seconds login_delay{0};            // pop3d_login_delay (also in login, for CAPA)
  std::string auth_path = "private/auth";         // pop3d_sasl_path, relative to queue_directory
  std::string hostname = "localhost";             // myhostname, in the APOP timestamp
  int client_limit = 1000;                        // pop3d_process_client_limit
  // pop3d_session_service: empty, the login process serves the mailbox
  // itself (instance mode); else the master.cf unix service (private/NAME)
  // that gets logged-in clients (system mode, pop3d/session_serve.h).
  std::string session_service;
  // mbox locking at login: no waiting in the event loop; the connection
  // retries kOpenAttempts times, kOpenRetryDelay apart, before [IN-USE].
  mailbox::LockPolicy lock_policy{1, std::chrono::milliseconds(0), std::chrono::seconds(300)};
};

constexpr unsigned kOpenAttempts = 8;
constexpr std::chrono::milliseconds kOpenRetryDelay{250};

// Errors (fatal at startup, naming the parameter): a bad ssl value, TLS
// wanted without a certificate, an unreadable certificate or key, a bad
// mail_location syntax.
Result<Settings> load_settings(const config::MainCf& cf);

// pre_jail of pop3d and pop3-session, as root before the drop: enter
// queue_directory (authd's socket is relative to it) and load the
// settings, whose TLS key is often readable by root only. serve then takes
// them with take_loaded_settings(), which is fatal when none were loaded.
Status load_settings_as_root(daemon::Context& ctx);
Settings take_loaded_settings(daemon::Context& ctx, const char* program);

// Dovecot's "ssl_cert = </path": the file named after '<'. A bare absolute
// path is accepted too; inline PEM is not (an error).
Result<std::string> pem_file(const std::string& param, const std::string& value);

}  // namespace buzon::pop3d
