// mail_location, with Dovecot's syntax, for the access servers (pop3d,
// later imapd): where a user's mail is.
//   maildir:~/Maildir
//   mbox:~/mail:INBOX=/var/mail/%u
// Variables: %u user name, %n its local part, %d its domain (empty without
// '@'), %h home directory, %% a '%'. A leading "~/" is the home directory.
// Options after the root (":KEY=value") other than INBOX, INDEX, CONTROL
// and LAYOUT are errors; INDEX/CONTROL/LAYOUT are accepted and ignored
// (Buzón keeps its uid list inside the Maildir).
//
// An empty mail_location follows local(8)'s delivery settings: home_mailbox
// ending in '/' is a Maildir under the home, another home_mailbox an mbox
// file under the home, else the spool file mail_spool_directory/%u.
//
// LIMITS  kLocationMax bytes of expanded path.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::config { class MainCf; }

namespace buzon::mailbox {

constexpr size_t kLocationMax = 4096;

enum class Format { Maildir, Mbox };

struct Location {
  Format format = Format::Maildir;
  std::string root;   // Maildir folder, or the mbox mail directory (may be empty)
  std::string inbox;  // the INBOX: for Maildir the root itself, for mbox a file
};

// Parses a mail_location value without expanding variables. Errors: an
// unknown format, an empty root, an unknown option, an option without '='.
Result<Location> parse_location(std::string_view value);

struct Owner {
  std::string user;  // login name, possibly user@domain
  std::string home;  // may be empty: then "~" and %h are errors
};

// Expands one path: "~/" and the %-variables. Errors: an unknown variable,
// ~ or %h without a home, a result that is not absolute or is longer than
// kLocationMax.
Result<std::string> expand_path(std::string_view path, const Owner& owner);

// The location for one user, paths expanded: mail_location from cf (or
// local's settings when empty, as above).
Result<Location> location_for(const config::MainCf& cf, const Owner& owner);

}  // namespace buzon::mailbox
