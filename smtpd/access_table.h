// The tables that check_client_access, check_helo_access,
// check_sender_access and check_recipient_access consult, named
// "type:name" as in Postfix. Opened once when the configuration is loaded.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::smtpd {

class AccessTable {
 public:
  virtual ~AccessTable() = default;
  // The result for key (already in the case the table expects); nullopt
  // when absent; Error when the table cannot be read now.
  virtual Result<std::optional<std::string>> lookup(std::string_view key) = 0;
  // Pattern tables (cidr:) match a whole key themselves: the caller does
  // not try partial keys (parent domains, shorter address prefixes).
  virtual bool is_pattern() const = 0;
  const std::string& spec() const { return spec_; }

 protected:
  std::string spec_;
};

// Opens "type:name". Errors: malformed spec, unsupported type, unreadable
// or malformed table (file:line).
Result<std::shared_ptr<AccessTable>> open_access_table(std::string_view spec);

}  // namespace buzon::smtpd
