#include "pop3d/settings.h"

#include <unistd.h>

#include <limits>
#include <optional>

#include "lib/auth/mechanisms.h"
#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/daemon/daemon.h"
#include "lib/log/log.h"
#include "lib/mailbox/location.h"

namespace buzon::pop3d {
namespace {

template <class T>
T clamp_to(unsigned long long v) {
  return v > static_cast<unsigned long long>(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max()
                                                                           : static_cast<T>(v);
}

}  // namespace

Result<std::string> pem_file(const std::string& param, const std::string& value) {
  std::string v(str::trim(value));
  if (!v.empty() && v[0] == '<') v = std::string(str::trim(std::string_view(v).substr(1)));
  if (v.empty()) return v;
  if (v[0] != '/') return Error{param + ": expected </path/to/file.pem, got \"" + str::sanitize(v, 80) + "\""};
  return v;
}

Result<Settings> load_settings(const config::MainCf& cf) {
  Settings s;
  s.cf = &cf;
  s.login.greeting = "Buzon ready.";
  s.login.disable_plaintext_auth = cf.get_bool("disable_plaintext_auth");
  s.login.max_bad_commands = clamp_to<unsigned>(cf.get_int("pop3d_bad_command_limit"));
  s.login.max_auth_failures = clamp_to<unsigned>(cf.get_int("pop3d_auth_failure_limit"));
  if (s.login.max_bad_commands == 0) s.login.max_bad_commands = 1;
  if (s.login.max_auth_failures == 0) s.login.max_auth_failures = 1;
  s.timeout = cf.get_time("pop3d_timeout");
  s.login_delay = s.login.login_delay = cf.get_time("pop3d_login_delay");
  s.auth_path = cf.get("pop3d_sasl_path");
  s.client_limit = std::max(1, clamp_to<int>(cf.get_int("pop3d_process_client_limit")));
  s.wrappermode = cf.get_bool("pop3d_tls_wrappermode");
  s.session_service = std::string(str::trim(cf.get("pop3d_session_service")));
  if (s.session_service.find('/') != std::string::npos || s.session_service == "." || s.session_service == "..")
    return Error{"pop3d_session_service: a master.cf service name, not a path: " + str::sanitize(s.session_service, 80)};

  std::string ssl = str::lower(str::trim(cf.get("ssl")));
  if (ssl != "no" && ssl != "yes" && ssl != "required")
    return Error{"ssl: unknown value \"" + str::sanitize(ssl, 40) + "\" (no, yes or required)"};
  if (ssl != "no" || s.wrappermode) {
    auto cert = pem_file("ssl_cert", cf.get("ssl_cert"));
    if (!cert) return cert.error();
    auto key = pem_file("ssl_key", cf.get("ssl_key"));
    if (!key) return key.error();
    if (cert->empty()) {
      if (ssl == "required" || s.wrappermode)
        return Error{std::string("pop3d: ") + (s.wrappermode ? "pop3d_tls_wrappermode = yes" : "ssl = required") +
                     " but ssl_cert is empty"};
      // Dovecot refuses to start here; a fresh system install has no
      // certificate yet, and plaintext POP3 from the local host still works.
      log::warning("pop3d: ssl = yes but ssl_cert is empty: STLS is not offered");
    } else {
      tls::ServerConfig config;
      config.keys.push_back({*cert, key->empty() ? *cert : *key});
      config.session_id_context = "pop3";
      auto ctx = tls::ServerContext::create(config);
      if (!ctx) return Error{"pop3d TLS: " + ctx.error().message};
      s.tls = std::make_shared<const tls::ServerContext>(std::move(*ctx));
    }
  }
  s.login.tls_available = s.tls != nullptr;
  s.login.ssl_required = ssl == "required";
  // Syntax errors in mail_location are startup errors, not login failures.
  if (std::string loc(str::trim(cf.get("mail_location"))); !loc.empty())
    if (auto parsed = mailbox::parse_location(loc); !parsed) return parsed.error();
  s.mechanisms = auth::cached_mechanisms(s.auth_path, /*keep_apop=*/true);
  if (std::string host(str::trim(cf.get("myhostname"))); !host.empty()) s.hostname = host;
  return s;
}

namespace {
std::optional<Settings> g_loaded;  // from load_settings_as_root to take_loaded_settings
}  // namespace

Status load_settings_as_root(daemon::Context& ctx) {
  std::string dir = ctx.cf.get("queue_directory");
  if (::chdir(dir.c_str()) < 0) return sys_error("chdir " + dir);
  auto s = load_settings(ctx.cf);
  if (!s) return s.error();
  g_loaded = std::move(*s);
  return {};
}

Settings take_loaded_settings(daemon::Context& ctx, const char* program) {
  if (!g_loaded) log::fatal(std::string(program) + ": settings were not loaded");
  Settings s = std::move(*g_loaded);
  g_loaded.reset();
  s.cf = &ctx.cf;
  return s;
}

}  // namespace buzon::pop3d
