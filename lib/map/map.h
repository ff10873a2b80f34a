// Lookup tables, Postfix style: a table is named "type:name" ("hash:/etc/
// buzon/aliases", "texthash:/etc/buzon/virtual", "cidr:/etc/buzon/clients",
// "static:5000") and answers
// key -> value. The types are listed in one registry (registry.cpp); a new
// type is one file with an opener and one row there.
//
// Case: lookups fold the key to lower case (ASCII) unless the table is
// opened with fold_case = false, as Postfix does; tables built by
// "buzon map" store lower-cased keys unless built with -f.
//
// Privileges: a table is opened once, typically by a daemon before it drops
// privileges; the handle keeps working after the drop. hash: tables notice
// a rebuilt .db (new inode or mtime) and reopen it on the next lookup; a
// process that cannot read the new file keeps answering from the old one
// and logs a warning. texthash: and cidr: tables are read at open and never reread.
//
// LIMITS  kKeyMax bytes per key, kValueMax per value, kLogicalLineMax per
//         source line after continuation joining, kSourceFileMax per text
//         source file.
#pragma once
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::map {

constexpr size_t kKeyMax = 1024;
constexpr size_t kValueMax = 65536;
constexpr size_t kLogicalLineMax = kKeyMax + kValueMax + 64;
constexpr size_t kSourceFileMax = 64u << 20;

// Text source syntax: postmap(1) "key whitespace value", or aliases(5)
// "name: value" (postalias, newaliases).
enum class Syntax { Map, Alias };

struct OpenOptions {
  bool fold_case = true;        // lower-case lookup keys
  Syntax syntax = Syntax::Map;  // for types read from text (texthash:)
};

class Table {
 public:
  virtual ~Table() = default;
  // The value for key; nullopt when absent (also for a key longer than
  // kKeyMax, which no table can hold); Error when the table cannot be read
  // now (callers defer, as Postfix does for an unavailable table).
  virtual Result<std::optional<std::string>> lookup(std::string_view key) = 0;
  // Calls visit(key, value) for every entry, keys as stored, in no
  // particular order, until visit returns false. For readers that must
  // know what a whole table holds (authd: which kinds of secrets). Error:
  // the type cannot list its entries (only hash: can), or a read failed.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  virtual Status for_each(const Visitor& visit);
  // "type:name" as given to open().
  const std::string& spec() const { return spec_; }
  // Pattern tables (cidr:) match a whole key themselves: callers do not
  // try partial keys (parent domains, shorter address prefixes), as
  // Postfix's smtpd does not for its pattern tables.
  virtual bool is_pattern() const { return false; }
  // Owner of the file the table was read from (0 for tables without a
  // file). local(8) runs alias commands as this user unless it is root.
  uid_t owner_uid() const { return owner_uid_; }
  gid_t owner_gid() const { return owner_gid_; }

 protected:
  std::string spec_;
  uid_t owner_uid_ = 0;
  gid_t owner_gid_ = 0;
  bool fold_case_ = true;
  // The key as stored: folded when the table folds case.
  std::string stored_key(std::string_view key) const;
};

using Opener = Result<std::unique_ptr<Table>> (*)(const std::string& spec, const std::string& name,
                                                  const OpenOptions& opts);
// Builds the table's persistent form from its text source (hash: writes
// name.db from name); nullptr for types read directly.
using Builder = Status (*)(const std::string& name, Syntax syntax, bool fold_case,
                           void (*warn)(const std::string&));

struct TypeDef {
  std::string_view type;  // "hash"
  Opener open;
  Builder build;          // nullptr: nothing to build
};
// Every table type, sorted by name.
std::span<const TypeDef> types();
const TypeDef* find_type(std::string_view type);

// Splits "type:name"; a spec without a colon is an error (callers that have
// a default type, like buzon map, add it first).
struct Spec {
  std::string type;
  std::string name;
};
Result<Spec> parse_spec(std::string_view spec);

// Opens a table. Errors: malformed spec, unknown type, unreadable file or
// a malformed text source (with file:line).
Result<std::unique_ptr<Table>> open(std::string_view spec, const OpenOptions& opts = {});

}  // namespace buzon::map
