// Private to lib/map: the openers and builders that registry.cpp lists, one
// file per table type. A new type (cidr:, regexp:) adds its declarations
// here, its own .cpp and one row in registry.cpp.
#pragma once
#include <utility>
#include <vector>

#include "lib/map/map.h"

namespace buzon::net {
struct Cidr;
}

namespace buzon::map::detail {

// cidr: "network result" lines in file order, first match wins.
Result<std::unique_ptr<Table>> open_cidr(const std::string& spec, const std::string& name, const OpenOptions& opts);
// The rules of a cidr: source; filename is for messages (file:line).
Result<std::vector<std::pair<net::Cidr, std::string>>> parse_cidr_source(std::string_view text,
                                                                         const std::string& filename);

// hash: Berkeley DB hash file name.db, built from the text file name.
Result<std::unique_ptr<Table>> open_hash(const std::string& spec, const std::string& name, const OpenOptions& opts);
Status build_hash(const std::string& name, Syntax syntax, bool fold_case, void (*warn)(const std::string&));

// texthash: the text file read at open, kept in memory.
Result<std::unique_ptr<Table>> open_texthash(const std::string& spec, const std::string& name,
                                             const OpenOptions& opts);

// static: every key maps to name itself (static:5000 for virtual_uid_maps).
Result<std::unique_ptr<Table>> open_static(const std::string& spec, const std::string& name,
                                           const OpenOptions& opts);

}  // namespace buzon::map::detail
