// local_recipient_maps (Postfix): which local parts of mydestination
// domains smtpd accepts at RCPT TO. Each element is a lookup table
// ("hash:/etc/buzon/aliases", usually through $alias_maps) or
// "unix:passwd.byname", the accounts (users::find, which honours
// local_passwd_file). An empty list accepts every local part and leaves
// unknown users to local(8) (luser_relay, or a bounce).
//
// Lookup keys: the local part lower-cased with its extension, then without
// (user+foo, then user), as local(8) looks up aliases.
//
// Privileges: tables are opened at the first lookup, as mail_owner; they
// must be readable by it (aliases.db is 0644 by default).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/map/map.h"

namespace buzon::config { class MainCf; }

namespace buzon::smtpd {

class LocalRecipients {
 public:
  explicit LocalRecipients(std::vector<std::string> specs) : specs_(std::move(specs)) {}
  // False for an empty local_recipient_maps: no check.
  bool enabled() const { return !specs_.empty(); }
  // Whether local (lower case, with extension) or name (without) is known.
  // Error when a table cannot be opened or read (smtpd answers 451).
  Result<bool> known(const config::MainCf& cf, std::string_view local, std::string_view name);

 private:
  std::vector<std::string> specs_;
  std::vector<std::unique_ptr<map::Table>> tables_;  // per spec; nullptr until opened
};

}  // namespace buzon::smtpd
