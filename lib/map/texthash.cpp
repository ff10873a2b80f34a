// texthash:/path - the postmap(1) source read directly, without building a
// database (Postfix's texthash:). Read once at open: a changed file is seen
// by the next process, as in Postfix.
#include <sys/stat.h>

#include <unordered_map>

#include "lib/map/source.h"
#include "lib/map/types.h"

namespace buzon::map::detail {
namespace {

class TextHashTable final : public Table {
 public:
  TextHashTable(const std::string& spec, bool fold, Source src) {
    spec_ = spec;
    fold_case_ = fold;
    for (Entry& e : src.entries) entries_.emplace(std::move(e.key), std::move(e.value));
  }
  Result<std::optional<std::string>> lookup(std::string_view key) override {
    if (key.size() > kKeyMax) return std::optional<std::string>();
    auto it = entries_.find(stored_key(key));
    if (it == entries_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  void set_owner(uid_t u, gid_t g) { owner_uid_ = u; owner_gid_ = g; }

 private:
  std::unordered_map<std::string, std::string> entries_;
};

}  // namespace

Result<std::unique_ptr<Table>> open_texthash(const std::string& spec, const std::string& name,
                                             const OpenOptions& opts) {
  struct stat st;
  if (::stat(name.c_str(), &st) < 0) return sys_error("open " + spec);
  auto src = read_source(name, opts.syntax, opts.fold_case);
  if (!src) return src.error();
  // Warnings (duplicates, lines without a value) were reported by whoever
  // built or checked the file; a lookup table only answers.
  auto t = std::make_unique<TextHashTable>(spec, opts.fold_case, std::move(*src));
  t->set_owner(st.st_uid, st.st_gid);
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace buzon::map::detail
