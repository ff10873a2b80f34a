// Virtual mailbox lookups as Postfix's virtual(8) does them (TABLE SEARCH
// ORDER): the recipient, folded to lower case, as user+extension@domain,
// then user@domain, then @domain (the catch-all); each key through every
// table before the next. Shared by smtpd (which recipients exist) and the
// virtual delivery agent (which mailbox, whose uid and gid).
//
// A mailbox path from virtual_mailbox_maps is relative to
// virtual_mailbox_base; one ending in '/' is a Maildir, anything else an
// mbox file. Paths that could leave the base (absolute, "..") or that
// carry control characters are refused.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/virtual/virtual.h"

namespace buzon::virt {

// The lookup keys of address, most specific first (see above); delimiters
// is recipient_delimiter.
std::vector<std::string> mailbox_keys(std::string_view address, std::string_view delimiters);

// Where a virtual_mailbox_maps result points: base + "/" + result.
// Error when the result is empty, absolute, has a ".." component, a NUL
// or control character, or the base is not absolute.
struct MailboxPath {
  std::string path;  // the whole path
  bool maildir = false;
};
Result<MailboxPath> mailbox_path(std::string_view base, std::string_view result);

// Refuses a symbolic link anywhere in path below base (base itself is the
// administrator's and trusted): each existing component after base is
// checked with lstat; a missing one ends the walk (it will be created).
// path must start with base + "/". Error names the link.
Status no_symlinks_below(std::string_view base, std::string_view path);

// A numeric uid or gid result of virtual_uid_maps/virtual_gid_maps:
// decimal digits only, at most 10 of them, at most 2^32-2. Error otherwise.
Result<unsigned long> numeric_id(std::string_view result);

// virtual_mailbox_maps, virtual_uid_maps and virtual_gid_maps, looked up
// in the order above. Tables are opened at the first lookup.
class MailboxTables {
 public:
  MailboxTables(std::vector<std::string> maps, std::vector<std::string> uid_maps, std::vector<std::string> gid_maps,
                std::string delimiters)
      : maps_(std::move(maps)), uids_(std::move(uid_maps)), gids_(std::move(gid_maps)),
        delimiters_(std::move(delimiters)) {}
  bool enabled() const { return !maps_.empty(); }
  // The virtual_mailbox_maps value; nullopt for an unknown address. Error:
  // a table failed.
  Result<std::optional<std::string>> mailbox(std::string_view address) { return find(maps_, address); }
  Result<std::optional<std::string>> uid(std::string_view address) { return find(uids_, address); }
  Result<std::optional<std::string>> gid(std::string_view address) { return find(gids_, address); }

 private:
  Result<std::optional<std::string>> find(Tables& t, std::string_view address);
  Tables maps_, uids_, gids_;
  std::string delimiters_;
};

}  // namespace buzon::virt
