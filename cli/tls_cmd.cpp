#include "cli/tls_cmd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "lib/config/config.h"
#include "lib/file/file.h"
#include "lib/tls/self_signed.h"

namespace buzon::cli {

Status write_self_signed(const std::string& hostname, const std::string& cert_file, const std::string& key_file,
                         bool force, std::optional<std::pair<uid_t, gid_t>> owner) {
  struct stat st;
  if (!force) {
    for (const auto& f : {cert_file, key_file})
      if (::stat(f.c_str(), &st) == 0) return Error{f + " exists (use --force to replace it)"};
  }
  std::vector<std::string> names = {hostname};
  for (const char* extra : {"localhost", "127.0.0.1"})
    if (hostname != extra) names.push_back(extra);
  auto pem = tls::make_self_signed({.common_name = hostname, .names = names, .key_type = tls::KeyType::EcdsaP256});
  if (!pem) return pem.error();
  for (const auto& f : {cert_file, key_file})
    if (auto s = file::make_dirs(file::dirname(f)); !s) return s;
  if (auto s = file::write_atomic(key_file, pem->key, 0600); !s) return s;
  if (owner && ::chown(key_file.c_str(), owner->first, owner->second) < 0) return sys_error("chown " + key_file);
  if (cert_file == key_file) return file::write_atomic(cert_file, pem->cert + pem->key, 0600);
  return file::write_atomic(cert_file, pem->cert, 0644);
}

int cmd_tls(const std::string& config_dir, std::span<const std::string> args) {
  bool force = false;
  if (args.empty() || args[0] != "new-cert") {
    std::fprintf(stderr, "usage: buzon [-c config_dir] tls new-cert [--force]\n");
    return 1;
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] != "--force") {
      std::fprintf(stderr, "buzon: fatal: tls new-cert: unknown option %s\n", args[i].c_str());
      return 1;
    }
    force = true;
  }
  auto cf = config::MainCf::load(config_dir);
  if (!cf) {
    std::fprintf(stderr, "buzon: fatal: %s\n", cf.error().message.c_str());
    return 1;
  }
  // smtpd_tls_key_file defaults to the certificate file: then both go
  // into that one file.
  std::string cert = cf->get("smtpd_tls_cert_file");
  std::string key = cf->get("smtpd_tls_key_file");
  if (cert.empty()) {
    cert = config_dir + "/tls/cert.pem";
    key = config_dir + "/tls/key.pem";
  }
  std::string host = cf->get("myhostname");
  if (auto s = write_self_signed(host, cert, key, force); !s) {
    std::fprintf(stderr, "buzon: fatal: tls new-cert: %s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("buzon: self-signed certificate for %s (also localhost, 127.0.0.1) in %s, key in %s\n", host.c_str(),
              cert.c_str(), key.c_str());
  if (cf->get("smtpd_tls_cert_file").empty())
    std::printf("buzon: to use it: buzon conf -e smtpd_tls_cert_file=%s smtpd_tls_key_file=%s smtpd_tls_security_level=may\n",
                cert.c_str(), key.c_str());
  return 0;
}

}  // namespace buzon::cli
