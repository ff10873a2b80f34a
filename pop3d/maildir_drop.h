// The POP3 maildrop of a Maildir INBOX (lib/mailbox/maildir.h). UIDLs use
// Dovecot's default pop3_uidl_format "%08Xu%08Xv" (UID and UIDVALIDITY in
// hex), so they match IMAP UIDs and survive flag changes and restarts.
// Messages retrieved get the Seen flag (new/ -> cur/...:2,S) at QUIT only.
#pragma once
#include "lib/mailbox/maildir.h"
#include "pop3d/maildrop.h"

namespace buzon::pop3d {

class MaildirDrop : public Maildrop {
 public:
  explicit MaildirDrop(mailbox::Maildir folder) : folder_(std::move(folder)) {}
  size_t count() const override { return folder_.messages().size(); }
  uint64_t size(size_t i) const override { return folder_.messages()[i].vsize; }
  std::string uidl(size_t i) const override;
  Result<MessageRange> open(size_t i) override;
  Status commit(const std::vector<bool>& deleted, const std::vector<bool>& retrieved) override;

 private:
  mailbox::Maildir folder_;
};

}  // namespace buzon::pop3d
