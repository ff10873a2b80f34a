// The delivery order of Maildir files, read from their unique names.
//
// New messages get their UIDs in this order (lib/mailbox/maildir.h), so a
// POP3 client's message numbers and an IMAP client's UIDs follow arrival.
// Comparing names as strings is wrong within one second: "1700000000.M999P1"
// sorts after "1700000000.M1000P1". The names of the usual deliverers are
// parsed instead:
//   Buzón local   <sec>.M<usec>Q<queue id>R<offset>.<host>,S=<size>
//   Dovecot       <sec>.M<usec>P<pid>[Q<n>].<host>,S=<size>,W=<vsize>
//   Postfix       <sec>.V<dev>I<inode>M<usec>.<host>
//   Courier       <sec>.M<usec>P<pid>_<n>.<host>
//   qmail         <sec>.<pid>.<host>
// and ordered by (seconds, microseconds, pid), then by the whole name with
// digit runs compared as numbers (so Q9 comes before Q10). Names without a
// leading number of seconds sort after all that have one.
#pragma once
#include <cstdint>
#include <string_view>

namespace buzon::mailbox {

// What a Maildir base name says about its delivery; a field that is not
// there (or has more than kArrivalDigitsMax digits) is absent, not guessed.
struct MaildirArrival {
  static constexpr size_t kArrivalDigitsMax = 18;  // fits in uint64_t
  bool has_seconds = false;
  uint64_t seconds = 0;
  uint64_t microseconds = 0;  // "M<n>" of the second dot-separated field
  uint64_t pid = 0;           // "P<n>", or the whole field when all digits
};

// Parses the delivery fields of base (a name without ":2,flags").
MaildirArrival maildir_arrival(std::string_view base);

// Strict weak order: true when a was delivered before b, by the rules above.
bool delivered_before(std::string_view a, std::string_view b);

// Compares with runs of ASCII digits as numbers ("a9" < "a10"), other bytes
// as unsigned chars; equal numbers with more leading zeros sort first so
// that distinct names never compare equal. Returns <0, 0 or >0.
int natural_compare(std::string_view a, std::string_view b);

}  // namespace buzon::mailbox
