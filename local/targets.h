// The destinations an alias value, a .forward file or an :include: file
// names (aliases(5), Postfix local(8)): a comma- (or newline-) separated
// list where each item is
//   |command            a command that gets the message on standard input
//   /file/name          a file the message is appended to (mbox; a name
//                       ending in '/' is a Maildir)
//   :include:/file      more destinations, read from that file
//   \user               the local user's mailbox, without alias or
//                       .forward processing
//   address             an address the message is forwarded to
// An item in double quotes ("|/usr/bin/procmail -a x") loses the quotes;
// <address> loses the brackets.
//
// LIMITS  kTargetsMax destinations per list; kIncludeFileMax bytes per
//         :include: file; kIncludeDepthMax nested :include: levels.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::local {

constexpr size_t kTargetsMax = 10000;
constexpr size_t kIncludeFileMax = 1 << 20;
constexpr int kIncludeDepthMax = 10;

struct TargetItem {
  enum class Kind { Address, Command, File, Include, Mailbox };
  Kind kind;
  std::string text;  // the address, command, path; for Mailbox the user name
};

// Errors: more than kTargetsMax items, an unbalanced quote.
Result<std::vector<TargetItem>> parse_targets(std::string_view list);

// The text of an :include: or .forward file as one list: lines whose first
// non-blank character is '#' are dropped, line ends separate items.
std::string list_from_file_text(std::string_view text);

}  // namespace buzon::local
