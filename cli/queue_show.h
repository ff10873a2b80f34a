// buzon queue show ID: one queue file as postcat -q prints it: the
// envelope records, then the message content (header and body) as stored.
// Queue data came from the network: envelope values are sanitized so they
// cannot forge lines of the listing; the content is shown as it is (it is
// what the message says, and what an administrator needs to see).
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

#include "lib/core/result.h"
#include "lib/queue/queue.h"

namespace buzon::cli {

// The "*** ENVELOPE RECORDS queue/ID ***" block.
std::string format_envelope(const queue::Envelope& env, std::string_view queue_name);

// Finds the message in incoming/, active/, deferred/ or hold/ and writes
// the envelope block, the content and the end marker to out. Reads the
// content in bounded chunks.
Status show_message(const std::string& queue_dir, std::string_view id, std::FILE* out);

}  // namespace buzon::cli
