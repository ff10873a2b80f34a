#include "smtpd/security.h"

#include <chrono>

#include "lib/auth/mechanisms.h"
#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::smtpd {
namespace {

Result<bool> has_noplaintext(const std::vector<std::string>& options, const std::string& param) {
  bool noplaintext = false;
  for (const auto& o : options) {
    std::string l = str::lower(o);
    if (l == "noplaintext") noplaintext = true;
    // ANONYMOUS is never offered by authd; the rest restrict nothing we do.
    else if (l != "noanonymous" && l != "noactive" && l != "nodictionary" && l != "mutual_auth" &&
             l != "forward_secrecy")
      return Error{param + ": unknown option " + o + " (noanonymous, noplaintext)"};
  }
  return noplaintext;
}

}  // namespace

Result<Security> load_security(const config::MainCf& cf) {
  Security s;
  std::string level = str::lower(str::trim(cf.get("smtpd_tls_security_level")));
  if (level.empty()) level = cf.get_bool("smtpd_enforce_tls") ? "encrypt" : cf.get_bool("smtpd_use_tls") ? "may" : "none";
  if (level == "none") s.tls_level = TlsLevel::None;
  else if (level == "may") s.tls_level = TlsLevel::May;
  else if (level == "encrypt") s.tls_level = TlsLevel::Encrypt;
  else return Error{"smtpd_tls_security_level: unknown level " + level + " (none, may or encrypt)"};
  s.wrappermode = cf.get_bool("smtpd_tls_wrappermode");
  s.received_tls = cf.get_bool("smtpd_tls_received_header");
  if (s.tls_level != TlsLevel::None || s.wrappermode) {
    bool mandatory = s.tls_level == TlsLevel::Encrypt || s.wrappermode;
    auto config = tls::server_config_from(cf, "smtpd", mandatory);
    if (!config) return config.error();
    if (config->keys.empty())
      return Error{"smtpd TLS is enabled (smtpd_tls_security_level = " + level +
                   (s.wrappermode ? ", smtpd_tls_wrappermode = yes" : "") + ") but smtpd_tls_cert_file is empty"};
    auto ctx = tls::ServerContext::create(*config);
    if (!ctx) return Error{"smtpd TLS: " + ctx.error().message};
    s.tls = std::make_shared<const tls::ServerContext>(std::move(*ctx));
  }
  s.sasl_enable = cf.get_bool("smtpd_sasl_auth_enable");
  s.tls_auth_only = cf.get_bool("smtpd_tls_auth_only");
  auto np = has_noplaintext(cf.get_list("smtpd_sasl_security_options"), "smtpd_sasl_security_options");
  if (!np) return np.error();
  s.noplaintext = *np;
  auto npt = has_noplaintext(cf.get_list("smtpd_sasl_tls_security_options"), "smtpd_sasl_tls_security_options");
  if (!npt) return npt.error();
  s.noplaintext_tls = *npt;
  s.authenticated_header = cf.get_bool("smtpd_sasl_authenticated_header");
  s.sasl_path = cf.get("smtpd_sasl_path");
  s.sasl_response_limit = static_cast<size_t>(cf.get_int("smtpd_sasl_response_limit"));
  if (s.sasl_enable) s.mechanisms = authd_mechanisms(s.sasl_path);
  return s;
}

std::function<std::vector<std::string>()> authd_mechanisms(std::string socket_path) {
  return auth::cached_mechanisms(std::move(socket_path));
}

}  // namespace buzon::smtpd
