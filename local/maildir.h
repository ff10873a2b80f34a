// Delivery to a Maildir (https://cr.yp.to/proto/maildir.html): write
// tmp/NAME, rename it into new/ (never replacing a file there), fsync. A
// reader never sees a partial message and nothing needs locking.
//
// Names:
//   tmp/  TIME.M<usec>P<pid>Q<counter>.HOST            unique per writer
//   new/  ARRIVAL.M<usec>Q<queue id>R<offset>.HOST,S=<size>
// The new/ name is derived from the queue file and the recipient record, so
// it is unique per delivery (queue IDs are unique, each recipient record
// has its own offset) and the same for a repeated request: when qmgr or
// local is killed after the rename but before the recipient is marked
// done, the retry finds the message already there (its rename fails with
// EEXIST), syncs it and reports success without a second copy. S= is the
// file size, which Dovecot uses to avoid a stat.
#pragma once
#include <sys/time.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "local/content.h"
#include "local/reply.h"

namespace buzon::local {

// A message file in new/ whose fsync the caller has taken over
// (MaildirOptions::unsynced): the delivery counts only once it is synced.
struct UnsyncedFile {
  Fd fd;
  std::string path;  // in new/: removed again when the fsync fails
  std::string dir;   // the Maildir, for the reply
  uid_t uid = 0;     // whose rights remove it (MaildirOptions::owner_*)
  gid_t gid = 0;
};

struct MaildirOptions {
  std::string hostname;               // myhostname
  unsigned long long size_limit = 0;  // mailbox_size_limit: per message file, as Postfix; 0 = none
  unsigned long counter = 0;          // per-process delivery counter (Q of tmp names)
  // When set, the file is left here unsynced and the reply is the one to
  // send once its fsync has succeeded (see maildir_sync_failed otherwise).
  std::vector<UnsyncedFile>* unsynced = nullptr;
  uid_t owner_uid = 0;
  gid_t owner_gid = 0;
};

// The host part of a Maildir name: '/' and ':' are written as \057 and
// \072, as the Maildir specification requires.
std::string maildir_host(std::string_view host);
// tmp/ name of one writer.
std::string maildir_tmp_name(const timeval& now, pid_t pid, unsigned long counter, std::string_view host);
// The Maildir a Maildir++ sub-folder belongs to (".../Maildir/.Lists/" ->
// ".../Maildir/"); dir itself when it is not a sub-folder.
std::string maildir_folder_root(const std::string& dir);
// new/ name of one delivery.
std::string maildir_name(const Message& msg, std::string_view host, unsigned long long size);

// Delivers msg into the Maildir at dir (the path ends in '/'), creating
// dir and its cur/ new/ tmp/ with mode 0700 when tmp/ is missing (and the
// "maildirfolder" marker in a Maildir++ sub-folder, Maildir/.Name/).
// 5.2.2 "mailbox full" when the message file would be larger than
// size_limit.
Reply deliver_maildir(const std::string& dir, const MaildirOptions& opt, const Message& msg);

// For an UnsyncedFile whose fsync failed with err: removes it (the caller
// holds its owner's rights), so that qmgr's retry makes no duplicate, and
// returns the reply to send instead.
Reply maildir_sync_failed(const UnsyncedFile& f, int err);

}  // namespace buzon::local
