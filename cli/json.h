// JSON string literals for machine-readable output (buzon queue --json).
// Queue data is untrusted: control characters are escaped and bytes that
// are not valid UTF-8 become U+FFFD, so the output is always valid JSON.
#pragma once
#include <string>
#include <string_view>

namespace buzon::cli {

// Returns s as a quoted JSON string.
std::string json_string(std::string_view s);

}  // namespace buzon::cli
