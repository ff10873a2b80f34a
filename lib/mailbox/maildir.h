// A Maildir folder as the access servers (pop3d, imapd) see it: the
// messages of new/ and cur/ in UID order, each with a stable UID (from the
// folder's uid list, lib/mailbox/uidlist.h), its flags and its CRLF size.
// Delivery (local) only ever adds files to new/; everything here tolerates
// files appearing, moving new/ -> cur/ or changing flags underneath.
//
// SECURITY  runs as the mailbox owner. Message files are opened with
// O_NOFOLLOW; names that are not plain Maildir names are ignored.
// LIMITS    kMaildirMessagesMax messages per folder.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::mailbox {

constexpr size_t kMaildirMessagesMax = 1000000;

struct MaildirMessage {
  uint32_t uid = 0;
  uint64_t vsize = 0;  // size with CRLF line ends
  std::string base;    // unique name without ":2,flags"
  std::string name;    // current file name relative to the folder: "new/B" or "cur/B:2,FS"
  std::string flags;   // Maildir flag letters (D F P R S T), sorted
};

class Maildir {
 public:
  // Opens the folder at dir (cur/, new/, tmp/ are created 0700 when
  // missing) and syncs it. Fails when dir is a symlink or not a directory.
  static Result<Maildir> open(const std::string& dir);

  // Rescans new/ and cur/ and brings the uid list up to date under its
  // lock: known messages keep their UID, new ones get the next UIDs in
  // delivery order (lib/mailbox/maildir_order.h), vanished ones are dropped.
  Status sync();

  uint32_t uidvalidity() const { return uidvalidity_; }
  const std::vector<MaildirMessage>& messages() const { return messages_; }

  // Opens message i read-only. If another client renamed it (flags) since
  // the last sync, finds it again by its base name.
  Result<Fd> open_message(size_t i);
  // Replaces the flags of message i (letters, any order): the file moves to
  // cur/B:2,<sorted flags>. Idempotent.
  Status set_flags(size_t i, std::string_view flags);
  // Deletes message i. A message already gone counts as deleted.
  Status expunge(size_t i);

 private:
  Maildir(std::string dir, Fd dir_fd) : dir_(std::move(dir)), dir_fd_(std::move(dir_fd)) {}
  // Finds the current name of message i again after a failed access.
  bool relocate(size_t i);
  std::string dir_;  // for messages and the uid list
  Fd dir_fd_;        // the folder, for its message files
  uint32_t uidvalidity_ = 0;
  std::vector<MaildirMessage> messages_;
};

// Flag letters of a Maildir file name ("B:2,SR" -> "RS"), "" when none;
// the base name is everything before the first ':'.
std::string maildir_flags(std::string_view name);
std::string_view maildir_base(std::string_view name);

}  // namespace buzon::mailbox
