// RFC 4648 base64 (with padding), as SASL (RFC 4422/4954) and the stored
// SCRAM secrets use it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace buzon::password {

std::string base64_encode(std::string_view bytes);
// nullopt on any character outside the alphabet, bad padding or a length
// that is not a multiple of 4 (RFC 4954 section 4: such a response is
// rejected, never guessed at).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace buzon::password
