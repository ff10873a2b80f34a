// RFC 5322 section 3.4 address lists, as sendmail -t reads them from To:,
// Cc: and Bcc: (and their Resent- forms): mailboxes ("Name <a@b>", "a@b",
// "a@b (Comment)"), groups ("team: a@b, c@d;"), quoted strings, nested
// comments, domain literals, the obsolete route syntax "<@x,@y:a@b>" and
// empty list elements (RFC 5322 4.4). Folding must already be undone
// (header_block.h unfolds). A bare local part ("bob") is accepted like
// Postfix does; the caller appends @myorigin.
//
// LIMITS  none of its own: input is bounded by header_size_limit. Control
//         characters other than HTAB are refused (header injection).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

struct Mailbox {
  std::string display_name;  // decoded phrase, "" when none
  std::string address;       // addr-spec without CFWS: local-part[@domain]
};

// Parses a whole field body. An empty body (or only CFWS and commas) yields
// no mailboxes. Errors: "malformed address list: <why> at offset N".
Result<std::vector<Mailbox>> parse_address_list(std::string_view field_body);

}  // namespace buzon::cli
