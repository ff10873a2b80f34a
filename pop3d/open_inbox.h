// Opens the INBOX of a user who just logged in: the account (home) from
// lib/users, mail_location (lib/mailbox/location.h), then the Maildir or
// mbox maildrop with its session lock.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "lib/mailbox/locks.h"
#include "pop3d/maildrop.h"

namespace buzon::config { class MainCf; }

namespace buzon::pop3d {

struct OpenedInbox {
  enum class Kind { Ok, InUse, TooSoon, Failed } kind = Kind::Failed;
  std::unique_ptr<Maildrop> drop;  // Ok
  std::string path;                // for the log
  std::string error;               // InUse/Failed: for the log, never for the client
};

// Runs as the mailbox owner (or, in instance mode, the instance owner).
// InUse: another POP3 session (or a delivery, for mbox) holds the lock;
// the caller may retry. TooSoon: the last login was less than login_delay
// ago (pop3d/login_delay.h; 0 turns the check off). Failed: anything else
// (no such account, a bad mail_location, an unreadable mailbox).
// home: the user's home from authd's userdb answer (system mode); empty
// means look the account up here (lib/users).
OpenedInbox open_inbox(const config::MainCf& cf, const std::string& user, const std::string& home,
                       const mailbox::LockPolicy& policy, std::chrono::seconds login_delay);

}  // namespace buzon::pop3d
