// static:VALUE - every lookup answers VALUE (Postfix's static: table).
#include "lib/map/types.h"

namespace buzon::map::detail {
namespace {

class StaticTable final : public Table {
 public:
  StaticTable(const std::string& spec, std::string value) : value_(std::move(value)) { spec_ = spec; }
  Result<std::optional<std::string>> lookup(std::string_view key) override {
    if (key.size() > kKeyMax) return std::optional<std::string>();
    return std::optional<std::string>(value_);
  }

 private:
  std::string value_;
};

}  // namespace

Result<std::unique_ptr<Table>> open_static(const std::string& spec, const std::string& name, const OpenOptions&) {
  if (name.size() > kValueMax) return Error{spec.substr(0, 64) + "...: value longer than " + std::to_string(kValueMax) + " bytes"};
  return std::unique_ptr<Table>(new StaticTable(spec, name));
}

}  // namespace buzon::map::detail
