// Small string helpers shared by the parsers. All are pure and bounded by
// their input.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace buzon::str {

std::string_view trim(std::string_view s);
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
// Splits on any of the separator characters, dropping empty fields.
// split("a, b,,c", ", ") -> {"a", "b", "c"}
std::vector<std::string> split(std::string_view s, std::string_view seps);
// Replaces control characters with '?' so a value cannot forge log lines,
// and truncates to max bytes (appending "..." when cut). UTF-8 is kept.
std::string sanitize(std::string_view s, size_t max = 256);
// Parses a non-negative decimal integer of at most 18 digits; nullopt on
// any other character or empty input.
std::optional<unsigned long long> to_uint(std::string_view s);

}  // namespace buzon::str
