#include "cli/password.h"

#include <crypt.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "lib/core/fd.h"

namespace buzon::cli {
namespace {

constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// crypt(3) salt characters.
constexpr std::string_view kSaltChars = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

Status read_random(char* buf, size_t n) {
  Fd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error("open /dev/urandom");
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd.get(), buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r < 0 ? sys_error("read /dev/urandom") : Error{"read /dev/urandom: end of file"};
    got += static_cast<size_t>(r);
  }
  return {};
}

}  // namespace

Result<std::string> random_string(size_t n, std::string_view alphabet) {
  if (alphabet.empty() || alphabet.size() > 256) return Error{"random_string: bad alphabet"};
  // Accept only bytes below the largest multiple of the alphabet size.
  const unsigned limit = 256 - 256 % static_cast<unsigned>(alphabet.size());
  std::string out;
  char buf[64];
  while (out.size() < n) {
    if (auto s = read_random(buf, sizeof buf); !s) return s.error();
    for (char b : buf) {
      unsigned v = static_cast<unsigned char>(b);
      if (v >= limit) continue;
      out += alphabet[v % alphabet.size()];
      if (out.size() == n) break;
    }
  }
  return out;
}

Result<std::string> random_password(size_t n) { return random_string(n, kAlnum); }

Result<std::string> sha512_crypt(std::string_view password) {
  auto salt = random_string(16, kSaltChars);
  if (!salt) return salt.error();
  std::string setting = "$6$" + *salt;
  std::string pw(password);
  // crypt_data is large (~32 KiB): on the heap, zeroed as crypt_r requires.
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* h = ::crypt_r(pw.c_str(), setting.c_str(), data.get());
  // libxcrypt returns a string starting with '*' on failure.
  if (!h || h[0] != '$') return Error{"crypt: SHA512-CRYPT is not available"};
  return std::string(h);
}

bool crypt_matches(std::string_view password, const std::string& hash) {
  std::string pw(password);
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* h = ::crypt_r(pw.c_str(), hash.c_str(), data.get());
  return h && h[0] == '$' && hash == h;
}

}  // namespace buzon::cli
