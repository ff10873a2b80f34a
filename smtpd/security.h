// smtpd's TLS and SASL settings (RFC 3207 STARTTLS, RFC 8314 implicit TLS,
// RFC 4954 AUTH), read once per process. The TLS context is built in
// pre_jail, as root, since key files are usually readable by root only.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/core/result.h"
#include "lib/tls/server_context.h"

namespace buzon::config { class MainCf; }

namespace buzon::smtpd {

enum class TlsLevel { None, May, Encrypt };

struct Security {
  // smtpd_tls_security_level; empty means: encrypt when smtpd_enforce_tls,
  // may when smtpd_use_tls, else none (Postfix's backwards compatibility).
  TlsLevel tls_level = TlsLevel::None;
  bool wrappermode = false;                       // smtpd_tls_wrappermode (port 465)
  std::shared_ptr<const tls::ServerContext> tls;  // set when TLS is possible
  bool received_tls = false;                      // smtpd_tls_received_header

  bool sasl_enable = false;           // smtpd_sasl_auth_enable
  bool tls_auth_only = false;         // smtpd_tls_auth_only
  bool noplaintext = false;           // smtpd_sasl_security_options has noplaintext
  bool noplaintext_tls = false;       // smtpd_sasl_tls_security_options has noplaintext
  bool authenticated_header = false;  // smtpd_sasl_authenticated_header
  std::string sasl_path = "private/auth";  // relative to queue_directory
  size_t sasl_response_limit = 12288;
  // The mechanisms authd offers now (upper case); empty when authd is
  // unreachable, then AUTH is not announced.
  std::function<std::vector<std::string>()> mechanisms;
};

// Errors: an unknown security level or SASL option, TLS required without
// a certificate, or the TLS context failing (file named).
Result<Security> load_security(const config::MainCf& cf);

// The mechanisms authd offers, asked over sasl_path (blocking, short
// timeout) and cached for a minute, so that EHLO does not wait on authd
// for every client.
std::function<std::vector<std::string>()> authd_mechanisms(std::string socket_path);

}  // namespace buzon::smtpd
