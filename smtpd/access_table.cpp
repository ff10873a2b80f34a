#include "smtpd/access_table.h"

#include "lib/core/strings.h"
#include "lib/net/cidr_table.h"

namespace buzon::smtpd {
namespace {

class CidrAccess : public AccessTable {
 public:
  CidrAccess(std::string spec, net::CidrTable table) : table_(std::move(table)) { spec_ = std::move(spec); }
  Result<std::optional<std::string>> lookup(std::string_view key) override { return table_.lookup(key); }
  bool is_pattern() const override { return true; }

 private:
  net::CidrTable table_;
};

}  // namespace

Result<std::shared_ptr<AccessTable>> open_access_table(std::string_view spec) {
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size())
    return Error{"bad table name (expected type:name): " + str::sanitize(spec)};
  std::string_view type = spec.substr(0, colon);
  std::string name(spec.substr(colon + 1));
  if (type == "cidr") {
    auto t = net::CidrTable::load(name);
    if (!t) return t.error();
    return std::shared_ptr<AccessTable>(std::make_shared<CidrAccess>(std::string(spec), std::move(*t)));
  }
  return Error{"unsupported table type: " + str::sanitize(spec)};
}

}  // namespace buzon::smtpd
