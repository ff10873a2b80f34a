// buzon map (postmap-like) and newaliases (postalias of alias_database).
//
//   buzon map [-f] [-a] [type:]file...        build each table (hash:
//                                             writes file.db atomically)
//   buzon map [-f] [-a] -q key [type:]file    print the value of key;
//                                             exit 0 found, 1 not found
// A file without "type:" has default_database_type. -f keeps the case of
// keys (postmap -f); -a reads the aliases(5) syntax "name: value"
// (postalias). Errors print "buzon: fatal: ..." and exit 1, warnings
// (duplicate keys, lines without a value) "buzon: warning: file:line: ...".
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/core/result.h"

namespace buzon::config { class MainCf; }

namespace buzon::cli {

struct MapArgs {
  bool fold_case = true;             // -f turns it off
  bool alias_syntax = false;         // -a
  std::optional<std::string> query;  // -q KEY
  std::vector<std::string> tables;   // at least one; exactly one with -q
};
Result<MapArgs> parse_map_args(std::span<const std::string> args);

int cmd_map(const std::string& config_dir, std::span<const std::string> args);

// newaliases / sendmail -bi / sendmail -I: builds every table listed in
// alias_database from its aliases(5) source. prog names the messages.
// Exit 0 when all were built, 1 otherwise.
int run_newaliases(const config::MainCf& cf, const char* prog);

}  // namespace buzon::cli
