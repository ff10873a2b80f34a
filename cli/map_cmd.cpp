#include "cli/map_cmd.h"

#include <cstdio>

#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/map/map.h"

namespace buzon::cli {
namespace {

const char* g_prog = "buzon";
void print_warning(const std::string& w) { std::fprintf(stderr, "%s: warning: %s\n", g_prog, str::sanitize(w, 1024).c_str()); }
int fatal(const std::string& m) {
  std::fprintf(stderr, "%s: fatal: %s\n", g_prog, str::sanitize(m, 1024).c_str());
  return 1;
}

std::string with_type(const config::MainCf& cf, const std::string& table) {
  if (table.find(':') != std::string::npos) return table;
  return cf.get("default_database_type") + ":" + table;
}

Status build(const std::string& spec, map::Syntax syntax, bool fold_case) {
  auto s = map::parse_spec(spec);
  if (!s) return s.error();
  const map::TypeDef* t = map::find_type(s->type);
  if (!t) return Error{"unsupported dictionary type: " + s->type};
  if (!t->build) return Error{spec + ": a " + s->type + ": table is read from its source, there is nothing to build"};
  return t->build(s->name, syntax, fold_case, print_warning);
}

}  // namespace

Result<MapArgs> parse_map_args(std::span<const std::string> args) {
  MapArgs m;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-f") m.fold_case = false;
    else if (a == "-a") m.alias_syntax = true;
    else if (a == "-q") {
      if (i + 1 >= args.size()) return Error{"option requires an argument: -q"};
      m.query = args[++i];
    } else if (a.size() > 1 && a[0] == '-') return Error{"invalid option: " + str::sanitize(a)};
    else break;
  }
  for (; i < args.size(); ++i) m.tables.push_back(args[i]);
  if (m.tables.empty()) return Error{"no table given"};
  if (m.query && m.tables.size() != 1) return Error{"-q takes exactly one table"};
  return m;
}

int cmd_map(const std::string& config_dir, std::span<const std::string> args) {
  g_prog = "buzon";
  auto m = parse_map_args(args);
  if (!m) {
    fatal(m.error().message);
    std::fputs("usage: buzon [-c config_dir] map [-f] [-a] [-q key] [type:]file...\n", stderr);
    return 1;
  }
  auto cf = config::MainCf::load(config_dir);
  if (!cf) return fatal(cf.error().message);
  map::Syntax syntax = m->alias_syntax ? map::Syntax::Alias : map::Syntax::Map;
  if (m->query) {
    map::OpenOptions o;
    o.fold_case = m->fold_case;
    o.syntax = syntax;
    auto t = map::open(with_type(*cf, m->tables[0]), o);
    if (!t) return fatal(t.error().message);
    auto v = (*t)->lookup(*m->query);
    if (!v) return fatal(v.error().message);
    if (!*v) return 1;
    std::printf("%s\n", (*v)->c_str());
    return 0;
  }
  for (const std::string& table : m->tables)
    if (auto s = build(with_type(*cf, table), syntax, m->fold_case); !s) return fatal(s.error().message);
  return 0;
}

int run_newaliases(const config::MainCf& cf, const char* prog) {
  g_prog = prog;
  int rc = 0;
  for (const std::string& table : cf.get_list("alias_database"))
    if (auto s = build(with_type(cf, table), map::Syntax::Alias, true); !s) rc = fatal(s.error().message);
  return rc;
}

}  // namespace buzon::cli
