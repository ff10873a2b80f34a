// Virtual alias recipients at RCPT TO, as Postfix's check_rcpt_maps does
// them: an address that virtual_alias_maps lists is accepted whatever its
// domain; any other address of a virtual_alias_domains domain is an
// unknown user ("User unknown in virtual alias table",
// unknown_virtual_alias_reject_code). The lookups are lib/virtual's
// (keys in virtual(5) order).
//
// Privileges: tables are opened at the first lookup, as mail_owner; they
// must be readable by it.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"
#include "lib/virtual/virtual.h"

namespace buzon::config { class MainCf; }

namespace buzon::smtpd {

class VirtualRecipients {
 public:
  explicit VirtualRecipients(const config::MainCf& cf);
  // Whether domain (lower case, no trailing dot) is a virtual alias
  // domain. Error: a table failed (smtpd answers 451).
  Result<bool> alias_domain(std::string_view domain);
  // Whether virtual_alias_maps has an entry for address. Error: a table
  // failed.
  Result<bool> has_alias(std::string_view address);

 private:
  virt::Aliases aliases_;
  virt::DomainList domains_;
};

}  // namespace buzon::smtpd
