// The UID list of a Maildir (file "buzon-uidlist" in the Maildir root):
// which unique base name carries which IMAP UID and POP3 UIDL, so that UIDs
// stay the same across sessions, restarts and flag renames (cur/x:2,S).
// It also caches each message's CRLF size, so a login does not read every
// message. Format (one header line, then one line per message, UID order):
//   B1 V<uidvalidity> N<next uid>
//   <uid> <vsize> <base name>
// LIMITS  kUidListMax bytes per file, kUidLineMax bytes per line; a file
// that breaks them or is malformed is rebuilt (new UIDVALIDITY), never trusted.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace buzon::mailbox {

constexpr size_t kUidListMax = 64u << 20;
constexpr size_t kUidLineMax = 1024;

struct UidEntry {
  uint32_t uid = 0;
  uint64_t vsize = 0;  // size with CRLF line ends (RFC 1939 / RFC 3501 RFC822.SIZE)
  std::string base;    // the Maildir unique name, without ":2,flags"
};

struct UidList {
  uint32_t uidvalidity = 0;
  uint32_t next_uid = 1;
  std::vector<UidEntry> entries;  // ascending uid
};

// Parses the file text; nullopt when malformed (bad header, UIDs not
// ascending or not below next_uid, base names with '/', ':' or spaces,
// lines over kUidLineMax).
std::optional<UidList> parse_uidlist(std::string_view text);
std::string format_uidlist(const UidList& list);

// True for a Maildir base name we accept: non-empty, at most 255 bytes,
// no '/', ':', white space or control characters, not starting with '.'.
bool base_name_ok(std::string_view base);

}  // namespace buzon::mailbox
