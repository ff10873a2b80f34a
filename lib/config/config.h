// main.cf: Postfix-style parameters. "name = value", '#' comments, lines
// that start with white space continue the previous one, $name and ${name}
// expand lazily at lookup time. Every parameter is declared in the table of
// params.cpp with a type, a default and a description (buzon conf -d).
//
// LIMITS  kConfigFileMax bytes per file (1 MiB), 64 levels of $name
//         expansion, 4096 bytes per logical line after joining continuations.
#pragma once
#include <chrono>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::config {

enum class Type {
  String,  // any text
  Bool,    // yes | no
  Int,     // non-negative decimal
  Time,    // decimal with optional unit s m h d w (default unit: the one in the default value, else s)
  Size,    // bytes, non-negative decimal
  List,    // items separated by white space and/or commas
};

struct ParamDef {
  std::string_view name;
  std::string_view default_value;  // may reference other parameters ($myhostname)
  Type type;
  std::string_view description;    // one sentence for conf -d and main.cf(5)
};

// The table of every parameter Buzón knows, sorted by name.
std::span<const ParamDef> params();
// nullptr when the name is not a known parameter.
const ParamDef* find_param(std::string_view name);

constexpr size_t kConfigFileMax = 1 << 20;
constexpr size_t kLogicalLineMax = 4096;
constexpr int kExpandDepthMax = 64;

class MainCf {
 public:
  // Reads config_dir/main.cf. A missing file is an error. The returned Error's
  // message has the shape "DIR/main.cf:12: unknown parameter: home_mailboxx"
  // or "DIR/main.cf:7: bad boolean value for disable_vrfy_command: maybe".
  // config_directory is set to config_dir. Unknown names are errors unless
  // some other value refers to them as $name (user-defined helper params).
  static Result<MainCf> load(const std::string& config_dir);
  // As load(), from text; filename is used only in error messages.
  static Result<MainCf> parse(std::string_view text, const std::string& filename,
                              const std::string& config_dir);

  // Sets a value as if written in main.cf (master.cf -o, conf -e). Fails on an
  // unknown name or a value that does not fit the parameter's type; a name
  // outside the table is known when main.cf or master.cf refers to it (a
  // $helper, or a per-service parameter such as slow_destination_concurrency_limit).
  Status set(std::string_view name, std::string_view value);

  // Expanded value of a parameter (explicit or default). Aborts (broken
  // invariant) if name is not in the table and was not set: callers use
  // only names from the table.
  std::string get(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  unsigned long long get_int(std::string_view name) const;
  std::chrono::seconds get_time(std::string_view name) const;
  unsigned long long get_size(std::string_view name) const;
  std::vector<std::string> get_list(std::string_view name) const;

  // Raw (unexpanded) value and whether it was set explicitly.
  std::string raw(std::string_view name) const;
  bool is_explicit(std::string_view name) const;
  // Explicitly set parameters, sorted by name, values unexpanded (conf -n).
  std::vector<std::pair<std::string, std::string>> explicit_params() const;

  const std::string& config_dir() const { return config_dir_; }

 private:
  std::string config_dir_;
  std::map<std::string, std::string, std::less<>> values_;
  // User-defined names that parse() accepted besides the table.
  std::set<std::string, std::less<>> user_names_;
};

// Rewrites config_dir/main.cf setting name = value (conf -e): replaces the
// existing line (and its continuations) or appends one; keeps comments and
// order; writes atomically.
Status edit_main_cf(const std::string& config_dir, std::string_view name, std::string_view value);

// master.cf: one service per logical line, Postfix's eight columns:
//   service type private unpriv chroot wakeup maxproc command [args...]
// '-' means the default. Continuation lines start with white space.
struct Service {
  std::string name;     // "smtp", "127.0.0.1:10025", "submit", "qmgr"
  std::string type;     // "inet" or "unix"
  bool is_private = true;
  bool unprivileged = true;
  bool chroot = false;
  int wakeup = 0;       // seconds between wakeup triggers; 0 = none
  int maxproc = 100;    // default_process_limit when '-'
  std::string command;  // daemon program name in daemon_directory
  std::vector<std::string> args;  // other arguments after the -o pairs
  std::vector<std::pair<std::string, std::string>> overrides;  // -o name=value
  std::string file;     // where it was defined, for messages
  int line = 0;
};

// Reads config_dir/master.cf. Errors carry file:line and the offending text.
// The overrides are checked against the parameter table.
Result<std::vector<Service>> load_master_cf(const std::string& config_dir, const MainCf& main);
Result<std::vector<Service>> parse_master_cf(std::string_view text, const std::string& filename,
                                             const MainCf& main);

// Loads main.cf, then applies the -o overrides of the named service.
Result<MainCf> load_for_service(const std::string& config_dir,
                                const std::vector<std::pair<std::string, std::string>>& overrides);

// The configuration directory from -c, else $MAIL_CONFIG, else the built-in
// default (BUZON_CONFIG_DIR).
std::string config_dir_from(const char* dash_c);

}  // namespace buzon::config
