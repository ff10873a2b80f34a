// cidr:/path - Postfix's cidr_table(5): "network/mask result" lines, the
// first network that contains the looked-up address wins. A bare address
// is a /32 or /128 network. Read once at open, like texthash:. The file
// shares the text source syntax of every table (lib/map/source.h); a
// network that does not parse is an error with file:line.
#include <sys/stat.h>

#include <vector>

#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/map/source.h"
#include "lib/map/types.h"
#include "lib/net/ip.h"

namespace buzon::map::detail {
namespace {

struct CidrRule {
  net::Cidr net;
  std::string result;
};

class CidrTable final : public Table {
 public:
  CidrTable(const std::string& spec, std::vector<CidrRule> rules) : rules_(std::move(rules)) { spec_ = spec; }
  // Keys that are not numeric addresses are not found (a client name asked
  // of a cidr: table, as Postfix's smtpd does).
  Result<std::optional<std::string>> lookup(std::string_view key) override {
    if (key.size() > kKeyMax) return std::optional<std::string>();
    auto ip = net::parse_ip(key);
    if (!ip) return std::optional<std::string>();
    for (const CidrRule& r : rules_)
      if (r.net.contains(*ip)) return std::optional<std::string>(r.result);
    return std::optional<std::string>();
  }
  bool is_pattern() const override { return true; }
  void set_owner(uid_t u, gid_t g) { owner_uid_ = u; owner_gid_ = g; }

 private:
  std::vector<CidrRule> rules_;
};

}  // namespace

Result<std::vector<std::pair<net::Cidr, std::string>>> parse_cidr_source(std::string_view text,
                                                                         const std::string& filename) {
  // Keys keep their case (IPv6 hex digits are read in either case), and a
  // network listed twice is a warning of the source reader, not an error.
  auto src = parse_source(text, filename, Syntax::Map, false);
  if (!src) return src.error();
  std::vector<std::pair<net::Cidr, std::string>> out;
  for (const Entry& e : src->entries) {
    auto c = net::parse_cidr(e.key);
    if (!c) return Error{filename + ":" + std::to_string(e.line) + ": " + c.error().message};
    out.emplace_back(*c, e.value);
  }
  return out;
}

Result<std::unique_ptr<Table>> open_cidr(const std::string& spec, const std::string& name, const OpenOptions&) {
  struct stat st;
  if (::stat(name.c_str(), &st) < 0) return sys_error("open " + name);
  if (!S_ISREG(st.st_mode)) return Error{name + ": not a regular file"};
  auto text = file::read_file(name, kSourceFileMax);
  if (!text) return text.error();
  auto parsed = parse_cidr_source(*text, name);
  if (!parsed) return parsed.error();
  std::vector<CidrRule> rules;
  for (auto& [net, result] : *parsed) rules.push_back({net, std::move(result)});
  auto t = std::make_unique<CidrTable>(spec, std::move(rules));
  t->set_owner(st.st_uid, st.st_gid);
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace buzon::map::detail
