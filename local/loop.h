// Mail forwarding loops, detected as Postfix local(8) does: every copy local
// delivers or forwards gets "Delivered-To: recipient", so a message that
// comes back to a recipient it has already been delivered to carries that
// header, and is bounced (5.4.6 "mail forwarding loop for ...") instead of
// going round again.
//
// LIMITS  only the message header is read, at most max_header bytes
//         (header_size_limit).
#pragma once
#include <string_view>

#include "lib/core/result.h"
#include "local/content.h"

namespace buzon::local {

// Whether the header of msg has a Delivered-To: field whose value equals
// address (case-insensitively; white space around the value ignored).
Result<bool> has_delivered_to(const Message& msg, std::string_view address, size_t max_header);

// Pure form for tests: the same check on header text.
bool header_has_delivered_to(std::string_view header, std::string_view address);

}  // namespace buzon::local
