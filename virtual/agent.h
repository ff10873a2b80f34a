// One virtual(8) delivery, as Postfix's virtual delivery agent does it:
//   1. the recipient in virtual_mailbox_maps (user+ext@domain, user@domain,
//      @domain; lib/virtual/mailbox.h); not there: 5.1.1 "User unknown in
//      virtual mailbox table";
//   2. the path, virtual_mailbox_base + "/" + result: ending in '/' a
//      Maildir (created on first delivery, with missing parents), else an
//      mbox file (its directory must exist); absolute results, ".." and
//      symbolic links below the base defer the mail (4.3.5 / 4.3.0);
//   3. the uid and gid from virtual_uid_maps and virtual_gid_maps (same
//      keys); a uid under virtual_minimum_uid, a missing or non-numeric
//      one defers the mail with a warning naming it;
//   4. the write, with those effective ids (privilege::EffectiveIds, as
//      local(8) writes mailboxes; in instance mode, not root, only the
//      instance's own uid works and any other uid defers), after the
//      Delivered-To: loop check; virtual_mailbox_limit caps the mailbox
//      or whole Maildir (5.2.2 "mailbox full").
// Every copy gets Return-Path: and Delivered-To: (local/content.h).
#pragma once
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/virtual/mailbox.h"
#include "local/mbox.h"
#include "local/reply.h"
#include "local/request.h"

namespace buzon::vdeliver {

struct Settings {
  std::string queue_dir;      // queue_directory
  std::string hostname;       // myhostname, for Maildir names
  std::string mailbox_base;   // virtual_mailbox_base
  std::vector<std::string> mailbox_maps, uid_maps, gid_maps;
  std::string delimiters;     // recipient_delimiter
  unsigned long minimum_uid = 100;                // virtual_minimum_uid
  unsigned long long mailbox_limit = 51200000;    // virtual_mailbox_limit; 0 = none
  unsigned long long message_size_limit = 0;
  unsigned long long header_size_limit = 102400;
  local::MboxOptions mbox;    // virtual_mailbox_lock, deliver_lock_*, stale_lock_time

  // Error: an unknown virtual_mailbox_lock method, or a
  // virtual_mailbox_limit (not 0) under message_size_limit (as Postfix).
  static Result<Settings> from(const config::MainCf& cf);
};

class Agent {
 public:
  explicit Agent(Settings s)
      : s_(std::move(s)), tables_(s_.mailbox_maps, s_.uid_maps, s_.gid_maps, s_.delimiters) {}
  // Never fails: every outcome is a Reply; Reply.warning is for the log.
  local::Reply deliver(const local::Request& req);

 private:
  Settings s_;
  virt::MailboxTables tables_;
  unsigned long counter_ = 0;
};

}  // namespace buzon::vdeliver
