// Virtual domains as Postfix has them (virtual(5), virtual(8)): which
// domains are virtual alias or virtual mailbox domains, and what
// virtual_alias_maps makes of an address. Shared by smtpd (which
// recipients exist), qmgr (rewriting and routing) and local in its virtual
// mode (which mailbox).
//
// Domain lists (virtual_alias_domains, virtual_mailbox_domains): items are
// domain names, matched whole and case-insensitively, or "type:table"
// lookup tables asked with the domain as key (any value is a hit), which
// is how the defaults $virtual_alias_maps and $virtual_mailbox_maps work.
//
// Alias lookup keys (virtual(5) TABLE SEARCH ORDER), each through every
// table before the next: user+ext@domain, user@domain, then for a domain
// of our own (mydestination or myorigin) user+ext and user, finally
// @domain. The result is a list of addresses separated by commas or white
// space; "@otherdomain" first in the list means the same user there, an
// address without a domain gets @myorigin (append_at_myorigin), and a key
// matched without the extension passes it on to the results
// (propagate_unmatched_extensions = canonical, virtual).
//
// LIMITS  virtual_alias_recursion_limit nesting levels and
//         virtual_alias_expansion_limit result addresses per expansion;
//         kVisitMax addresses looked up per expansion.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/map/map.h"

namespace buzon::virt {

constexpr size_t kVisitMax = 100000;

// A queue file attribute: "yes" once qmgr applied virtual_alias_maps to
// the file's recipients. Forwarded copies (local) do not inherit it.
inline constexpr std::string_view kExpandedAttr = "virtual_alias_expanded";

// Tables of a list, opened on first use and kept.
class Tables {
 public:
  explicit Tables(std::vector<std::string> specs) : specs_(std::move(specs)) {}
  bool empty() const { return specs_.empty(); }
  // The first table's value for key, in list order; Error when a table
  // cannot be opened or read.
  Result<std::optional<std::string>> lookup(std::string_view key);

 private:
  std::vector<std::string> specs_;
  std::vector<std::unique_ptr<map::Table>> tables_;  // per spec; nullptr until opened
};

class DomainList {
 public:
  explicit DomainList(const std::vector<std::string>& items);
  bool empty() const { return names_.empty() && tables_.empty(); }
  // domain: lower case, no trailing dot. Error: a table failed.
  Result<bool> contains(std::string_view domain);

 private:
  std::vector<std::string> names_;
  Tables tables_;
};

struct AliasRules {
  std::vector<std::string> maps;  // virtual_alias_maps
  std::string delimiters;         // recipient_delimiter
  std::string myorigin;
  std::function<bool(std::string_view domain)> is_own_domain;  // mydestination or myorigin; may be empty
  bool propagate_extension = true;  // "virtual" in propagate_unmatched_extensions
  size_t recursion_limit = 1000;    // virtual_alias_recursion_limit
  size_t expansion_limit = 1000;    // virtual_alias_expansion_limit
};

// One lookup key and whether it dropped the address extension.
struct AliasKey {
  std::string key;
  bool without_extension = false;
};
// The keys for address, most specific first (see above); own_domain says
// whether the bare local-part forms apply.
std::vector<AliasKey> alias_keys(std::string_view address, std::string_view delimiters, bool own_domain);

// Rewrites one lookup result into addresses (see above). address is the
// looked-up address; ext is the extension with its delimiter ("+foo") to
// pass on, or "".
std::vector<std::string> result_addresses(std::string_view result, std::string_view address, std::string_view ext,
                                          std::string_view myorigin);

class Aliases {
 public:
  explicit Aliases(AliasRules rules) : rules_(std::move(rules)), tables_(rules_.maps) {}
  bool enabled() const { return !tables_.empty(); }
  // One step: the addresses address maps to, nullopt when no key matches.
  Result<std::optional<std::vector<std::string>>> lookup(std::string_view address);
  // The whole expansion, in order, without duplicates (case-insensitive):
  // an address that maps to nothing stays itself, one that lists itself
  // keeps itself and gains the others, one met again further down (a loop)
  // stays as it is. Error (the caller defers, as Postfix's cleanup does): a
  // table failed, more than recursion_limit levels, more than
  // expansion_limit results or kVisitMax lookups; the message says which.
  Result<std::vector<std::string>> expand(std::string_view address);

 private:
  Status expand_into(const std::string& address, size_t depth, std::vector<std::string>& out,
                     std::set<std::string>& seen_out, std::set<std::string>& visited);
  AliasRules rules_;
  Tables tables_;
};

}  // namespace buzon::virt
