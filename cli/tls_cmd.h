// buzon tls new-cert: a self-signed certificate for myhostname (like
// Debian's snakeoil), naming localhost and 127.0.0.1 too; buzon init uses
// the same code for the instance's certificate.
#pragma once
#include <sys/types.h>

#include <optional>
#include <span>
#include <string>

#include "lib/core/result.h"

namespace buzon::cli {

// Writes cert_file (0644) and key_file (0600) atomically. Refuses to
// replace existing files unless force. owner: chown the key to it (an
// instance made by root runs as another account, which must read it).
Status write_self_signed(const std::string& hostname, const std::string& cert_file, const std::string& key_file,
                         bool force, std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);

// buzon tls new-cert [--force]: into smtpd_tls_cert_file / smtpd_tls_key_file,
// or config_dir/tls/cert.pem and key.pem when those are empty.
int cmd_tls(const std::string& config_dir, std::span<const std::string> args);

}  // namespace buzon::cli
