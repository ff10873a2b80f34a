// The content of a Postfix cidr: table (cidr_table(5)): one
// "network/mask result" per line, first match wins; '#' comments, empty
// lines and continuation lines (starting with white space) as in every
// Postfix table source. A bare address is a /32 or /128 network.
//
// LIMITS  kCidrFileMax bytes per file, kCidrLineMax bytes per logical
//         line; errors carry file:line.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/net/ip.h"

namespace buzon::net {

constexpr size_t kCidrFileMax = 16u << 20;
constexpr size_t kCidrLineMax = 8192;

class CidrTable {
 public:
  // filename appears in error messages only.
  static Result<CidrTable> parse(std::string_view text, const std::string& filename);
  static Result<CidrTable> load(const std::string& path);

  // The result of the first network that contains addr; nullopt when none
  // does or when key is not a numeric address.
  std::optional<std::string> lookup(std::string_view key) const;
  size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    Cidr net;
    std::string result;
  };
  std::vector<Rule> rules_;
};

}  // namespace buzon::net
