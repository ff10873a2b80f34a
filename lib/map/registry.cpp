// The table types Buzón knows. Keep sorted by type (find_type searches it
// in order; t/lib/map/map_test.cpp checks the order).
#include <algorithm>

#include "lib/core/strings.h"
#include "lib/map/map.h"
#include "lib/map/types.h"

namespace buzon::map {
namespace {

constexpr TypeDef kTypes[] = {
    {"cidr", detail::open_cidr, nullptr},
    {"hash", detail::open_hash, detail::build_hash},
    {"static", detail::open_static, nullptr},
    {"texthash", detail::open_texthash, nullptr},
};

}  // namespace

std::span<const TypeDef> types() { return kTypes; }

const TypeDef* find_type(std::string_view type) {
  for (const TypeDef& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}

std::string Table::stored_key(std::string_view key) const {
  return fold_case_ ? str::lower(key) : std::string(key);
}

Status Table::for_each(const Visitor&) { return Error{spec_ + ": table type cannot list its entries"}; }

Result<Spec> parse_spec(std::string_view spec) {
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error{"bad table name \"" + str::sanitize(spec) + "\": expected type:name"};
  Spec s{std::string(spec.substr(0, colon)), std::string(spec.substr(colon + 1))};
  if (s.name.empty()) return Error{"bad table name \"" + str::sanitize(spec) + "\": empty name"};
  return s;
}

Result<std::unique_ptr<Table>> open(std::string_view spec, const OpenOptions& opts) {
  auto s = parse_spec(spec);
  if (!s) return s.error();
  const TypeDef* t = find_type(s->type);
  if (!t) return Error{"unsupported dictionary type: " + str::sanitize(s->type) + " (in " + str::sanitize(spec) + ")"};
  return t->open(std::string(spec), s->name, opts);
}

}  // namespace buzon::map
