#include "cli/conf.h"

#include <cstdio>
#include <map>

#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

std::string column(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s + " ";
}

void fatal(const std::string& msg) { std::fprintf(stderr, "buzon: fatal: %s\n", msg.c_str()); }

int edit(const std::string& config_dir, const std::vector<std::string>& pairs) {
  // Validate every pair before changing anything: against the current
  // main.cf when it loads (user-defined $names are known there), else
  // against the bare parameter table.
  auto current = config::MainCf::load(config_dir);
  auto checker = current ? std::move(current) : config::MainCf::parse("", config_dir + "/main.cf", config_dir);
  if (!checker) {
    fatal(checker.error().message);
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> edits;
  for (const auto& nv : pairs) {
    auto [name, value] = split_assignment(nv);
    if (auto s = checker->set(name, value); !s) {
      fatal(s.error().message);
      return 1;
    }
    edits.emplace_back(std::move(name), std::move(value));
  }
  for (const auto& [name, value] : edits) {
    if (auto s = config::edit_main_cf(config_dir, name, value); !s) {
      fatal(s.error().message);
      return 1;
    }
  }
  if (auto after = config::MainCf::load(config_dir); !after) {
    std::fprintf(stderr, "buzon: warning: %s\n", after.error().message.c_str());
    return 1;
  }
  return 0;
}

int services(const std::string& config_dir, const std::vector<std::string>& names) {
  auto cf = config::MainCf::load(config_dir);
  if (!cf) {
    fatal(cf.error().message);
    return 1;
  }
  auto list = config::load_master_cf(config_dir, *cf);
  if (!list) {
    fatal(list.error().message);
    return 1;
  }
  int rc = 0;
  std::vector<bool> matched(names.size(), false);
  for (const auto& s : *list) {
    bool show = names.empty();
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == s.name || names[i] == s.name + "/" + s.type) show = matched[i] = true;
    if (show) std::fputs(format_service(s).c_str(), stdout);
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!matched[i]) {
      std::fprintf(stderr, "buzon: warning: unknown service: %s\n", str::sanitize(names[i]).c_str());
      rc = 1;
    }
  return rc;
}

}  // namespace

std::string format_param(std::string_view name, std::string_view value) {
  std::string out(name);
  out += value.empty() ? " =" : " = ";
  out += value;
  out += '\n';
  return out;
}

std::pair<std::string, std::string> split_assignment(std::string_view nv) {
  size_t eq = nv.find('=');
  if (eq == std::string_view::npos) return {std::string(str::trim(nv)), ""};
  return {std::string(str::trim(nv.substr(0, eq))), std::string(str::trim(nv.substr(eq + 1)))};
}

ConfOutput show_params(const config::MainCf* cf, ConfArgs::Mode mode, const std::vector<std::string>& names) {
  ConfOutput o;
  // name -> value to print; std::map keeps them sorted.
  std::map<std::string, std::string> shown;
  auto value_of = [&](std::string_view name) -> std::optional<std::string> {
    const config::ParamDef* def = config::find_param(name);
    switch (mode) {
      case ConfArgs::Mode::Defaults:
        if (def) return std::string(def->default_value);
        return std::nullopt;
      case ConfArgs::Mode::Explicit:
        if (cf && cf->is_explicit(name)) return cf->raw(name);
        return std::nullopt;
      default:
        // raw() also knows the computed defaults (myhostname, mydomain,
        // config_directory), as postconf shows them.
        if (cf && (def || cf->is_explicit(name))) return cf->raw(name);
        if (def) return std::string(def->default_value);
        return std::nullopt;
    }
  };
  if (names.empty()) {
    if (mode != ConfArgs::Mode::Explicit)
      for (const auto& def : config::params()) shown[std::string(def.name)] = *value_of(def.name);
    if (mode != ConfArgs::Mode::Defaults && cf)
      for (const auto& [n, v] : cf->explicit_params()) shown[n] = v;
  } else {
    for (const auto& n : names) {
      if (auto v = value_of(n)) {
        shown[n] = *v;
      } else if (mode == ConfArgs::Mode::Explicit && config::find_param(n)) {
        // A known parameter that is simply not set: postconf -n prints nothing.
      } else {
        o.warnings.push_back("unknown parameter: " + str::sanitize(n));
      }
    }
  }
  for (const auto& [n, v] : shown) o.out += format_param(n, v);
  return o;
}

std::string format_service(const config::Service& s) {
  auto yn = [](bool b) { return std::string(b ? "y" : "n"); };
  std::string out = column(s.name, 10) + column(s.type, 5) + column(yn(s.is_private), 7) +
                    column(yn(s.unprivileged), 7) + column(yn(s.chroot), 7) +
                    column(s.wakeup > 0 ? std::to_string(s.wakeup) : "-", 7) + column(std::to_string(s.maxproc), 7) +
                    s.command;
  for (const auto& [k, v] : s.overrides) out += " -o " + k + "=" + v;
  for (const auto& a : s.args) out += " " + a;
  out += '\n';
  return out;
}

int cmd_conf(const std::string& config_dir, std::span<const std::string> args) {
  auto a = parse_conf_args(args);
  if (!a) {
    fatal("conf: " + a.error().message);
    std::fputs("usage: buzon conf [-n | -d] [name...]\n"
               "       buzon conf -e name=value...\n"
               "       buzon conf -M [service...]\n",
               stderr);
    return 1;
  }
  if (a->mode == ConfArgs::Mode::Edit) return edit(config_dir, a->names);
  if (a->mode == ConfArgs::Mode::Services) return services(config_dir, a->names);

  std::optional<config::MainCf> cf;
  if (a->mode != ConfArgs::Mode::Defaults) {
    auto loaded = config::MainCf::load(config_dir);
    if (!loaded) {
      fatal(loaded.error().message);
      return 1;
    }
    cf = std::move(*loaded);
  }
  auto o = show_params(cf ? &*cf : nullptr, a->mode, a->names);
  std::fputs(o.out.c_str(), stdout);
  for (const auto& w : o.warnings) std::fprintf(stderr, "buzon: warning: %s\n", w.c_str());
  return o.warnings.empty() ? 0 : 1;
}

}  // namespace buzon::cli
