// Delivery to a UNIX mbox file (RFC 4155 "mboxo", as Postfix local(8)
// writes it): "From sender date" line, the message with ">From " quoting,
// then an empty line. The file is locked (mailbox_delivery_lock), opened
// without following symlinks and refused when it is not a plain file owned
// by the delivering user with one link (a hard link or symlink planted by a
// user would make local write someone else's file). The write is all or
// nothing: on any failure the file is truncated to its size before the
// delivery, and success is reported only after fsync.
#pragma once
#include <time.h>

#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

#include "local/content.h"
#include "lib/mailbox/locks.h"
#include "local/reply.h"

namespace buzon::local {

struct MboxOptions {
  bool fcntl_lock = true;
  bool flock_lock = false;
  bool dotlock = true;
  mailbox::LockPolicy lock;
  unsigned long long size_limit = 0;  // mailbox_size_limit; 0 = none
};

// Sets the lock methods of opt from a list such as mailbox_delivery_lock
// or virtual_mailbox_lock ("fcntl", "flock", "dotlock"); Error naming param
// for an unknown method.
Status set_lock_methods(MboxOptions& opt, const std::vector<std::string>& methods, std::string_view param);

// "From sender Www Mmm dd hh:mm:ss yyyy\n" (asctime layout, local time);
// MAILER-DAEMON for the null sender. White space and control characters
// in the sender become '_' so the line stays one token per field.
std::string from_line(std::string_view sender, time_t when);

// Appends msg to the mbox file at path (created mode 0600 when missing).
// Replies "delivered to mailbox"; 5.2.2 when the file would grow past
// size_limit; 4.x for locks, I/O and unsafe files.
Reply deliver_mbox(const std::string& path, const MboxOptions& opt, const Message& msg, time_t now);

}  // namespace buzon::local
