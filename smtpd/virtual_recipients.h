// Virtual alias recipients at RCPT TO, as Postfix's check_rcpt_maps does
// them: an address that virtual_alias_maps lists is accepted whatever its
// domain; any other address of a virtual_alias_domains domain is an
// unknown user ("User unknown in virtual alias table",
// unknown_virtual_alias_reject_code), and so is an address of a
// virtual_mailbox_domains domain without a virtual_mailbox_maps entry
// ("User unknown in virtual mailbox table",
// unknown_virtual_mailbox_reject_code). The lookups are lib/virtual's
// (keys in virtual(5) order).
//
// Privileges: tables are opened at the first lookup, as mail_owner; they
// must be readable by it.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"
#include "lib/virtual/mailbox.h"
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
  // Whether domain is a virtual mailbox domain. Error: a table failed.
  Result<bool> mailbox_domain(std::string_view domain);
  // Whether virtual_mailbox_maps has a mailbox for address (virtual(8)
  // search order, lib/virtual/mailbox.h); every address when
  // virtual_mailbox_maps is empty, as in Postfix. Error: a table failed.
  Result<bool> has_mailbox(std::string_view address);

 private:
  virt::Aliases aliases_;
  virt::DomainList domains_;
  virt::DomainList mailbox_domains_;
  virt::MailboxTables mailboxes_;
};

}  // namespace buzon::smtpd
