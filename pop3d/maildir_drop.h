// The POP3 maildrop of a Maildir INBOX (lib/mailbox/maildir.h). UIDLs use
// Dovecot's default pop3_uidl_format "%08Xu%08Xv" (UID and UIDVALIDITY in
// hex; Dovecot 2.3 prints it in lower case, and so do we), so they match IMAP UIDs and survive flag changes and restarts.
// Messages retrieved get the Seen flag (new/ -> cur/...:2,S) at QUIT only.
//
// A Maildir needs no lock for reading, but RFC 1939 section 4 gives the
// session exclusive access to the maildrop: a second POP3 session would see
// messages the first is about to delete. open() takes an flock on
// "buzon-pop3.lock" in the folder for the session; the kernel drops it when
// the process dies, so a crash never leaves the mailbox locked.
#pragma once
#include "lib/mailbox/maildir.h"
#include "pop3d/maildrop.h"

namespace buzon::pop3d {

constexpr const char* kMaildirSessionLock = "buzon-pop3.lock";

class MaildirDrop : public Maildrop {
 public:
  // Creates the folder (0700) when missing, takes the session lock, syncs
  // the uid list. Errors: the folder is unusable (symlink, not a
  // directory), or another session holds the lock (sys_errno EAGAIN: the
  // caller answers [IN-USE]).
  static Result<MaildirDrop> open(const std::string& dir);
  explicit MaildirDrop(mailbox::Maildir folder) : folder_(std::move(folder)) {}
  size_t count() const override { return folder_.messages().size(); }
  uint64_t size(size_t i) const override { return folder_.messages()[i].vsize; }
  std::string uidl(size_t i) const override;
  Result<MessageRange> open(size_t i) override;
  Status commit(const std::vector<bool>& deleted, const std::vector<bool>& retrieved) override;

 private:
  mailbox::Maildir folder_;
  Fd session_lock_;  // flock held while the session lasts
};

}  // namespace buzon::pop3d
