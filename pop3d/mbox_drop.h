// The POP3 maildrop of an mbox INBOX (/var/mail/user or a home_mailbox
// file). The mailbox is locked for the whole session with the same locks
// local(8) takes (dot-lock + fcntl, lib/mailbox/locks.h), so a delivery
// waits (and finally defers) rather than racing the rewrite at QUIT.
// UIDLs are the MD5 of each message's header section (Dovecot's %m),
// stable across sessions; a repeated digest gets a ".n" suffix.
// Deletions rewrite the file in place, front to back: a crash in the
// middle can leave a message twice, never lose one. Seen state is not
// written into the mbox (no Status: header rewriting).
#pragma once
#include <string>
#include <vector>

#include "lib/mailbox/locks.h"
#include "lib/mailbox/mbox.h"
#include "pop3d/maildrop.h"

namespace buzon::pop3d {

class MboxDrop : public Maildrop {
 public:
  // Opens and locks path; a missing file is an empty maildrop. Fails when
  // the path is a symlink, not a regular file, has other hard links, or
  // the lock cannot be had within policy (the caller answers [IN-USE]).
  static Result<MboxDrop> open(const std::string& path, const mailbox::LockPolicy& policy);

  size_t count() const override { return messages_.size(); }
  uint64_t size(size_t i) const override { return messages_[i].vsize; }
  std::string uidl(size_t i) const override { return uidls_[i]; }
  Result<MessageRange> open(size_t i) override;
  Status commit(const std::vector<bool>& deleted, const std::vector<bool>& retrieved) override;

 private:
  MboxDrop() = default;
  std::string path_;
  Fd fd_;                      // holds the fcntl lock
  mailbox::DotLock dot_;
  off_t scanned_size_ = 0;     // file size at login; later bytes are kept as they are
  std::vector<mailbox::MboxMessage> messages_;
  std::vector<std::string> uidls_;
};

}  // namespace buzon::pop3d
