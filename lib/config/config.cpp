// main.cf: reading, $name expansion, type checks and "buzon conf -e" edits,
// with Postfix main.cf(5) semantics. The parameter table is in params.cpp,
// master.cf in master_cf.cpp.
#include "lib/config/config.h"
#include "lib/config/lines.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <optional>
#include <set>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/net/interfaces.h"
#include "lib/net/ip.h"

namespace buzon::config {

namespace {

using detail::is_name_char;
using detail::where;
using RefSet = std::set<std::string, std::less<>>;

// Guards against expansions that grow (a = $b$b, b = $c$c, ...) or branch
// without growing: both are bounded so one get() cannot eat the CPU or RAM.
constexpr size_t kExpandOutputMax = kConfigFileMax;
constexpr unsigned kExpandStepsMax = 100000;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char);
}

// Shown inside messages: control characters of a hostile or broken file
// must not reach the terminal or the log.
std::string shown(std::string_view s) { return str::sanitize(s, 200); }

const std::string& system_hostname() {
  static const std::string name = [] {
    char buf[256] = {};
    std::string h;
    if (gethostname(buf, sizeof buf - 1) == 0) h = buf;
    if (h.empty()) h = "localhost";
    // Postfix: a hostname without a dot is not a usable FQDN in HELO or
    // message headers, so make it one.
    if (h.find('.') == std::string::npos) h += ".localdomain";
    return h;
  }();
  return name;
}

// mydomain default: $myhostname without its first component.
std::string domain_of(std::string_view host) {
  size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot + 1 == host.size()) return "localdomain";
  return std::string(host.substr(dot + 1));
}

// Index of the brace that closes the one at s[open], or npos.
size_t matching(std::string_view s, size_t open, char o, char c) {
  int level = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == o) {
      ++level;
    } else if (s[i] == c && --level == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Every parameter name a value refers to, in any expansion form, including
// the ones inside conditional text. Syntax errors are left to the expander.
void collect_refs(std::string_view v, RefSet& out) {
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i] != '$') continue;
    char n = v[i + 1];
    if (n == '$') {
      ++i;
    } else if (n == '{' || n == '(') {
      size_t end = matching(v, i + 1, n, n == '{' ? '}' : ')');
      if (end == std::string_view::npos) return;
      std::string_view inner = v.substr(i + 2, end - i - 2);
      size_t k = 0;
      while (k < inner.size() && is_name_char(inner[k])) ++k;
      if (k > 0) out.emplace(inner.substr(0, k));
      if (k < inner.size()) collect_refs(inner.substr(k + 1), out);
      i = end;
    } else if (is_name_char(n)) {
      size_t j = i + 1;
      while (j < v.size() && is_name_char(v[j])) ++j;
      out.emplace(v.substr(i + 1, j - i - 1));
      i = j - 1;
    }
  }
}

// Lazy $name expansion (Postfix mac_expand): $name ${name} $(name),
// ${name?text} ${name?{text}} ${name?{text1}:{text2}} (text when the value is
// non-empty), ${name:text} ${name:{text}} (text when it is empty), $$ = '$'.
// Undefined names expand to nothing, as in Postfix.
class Expander {
 public:
  explicit Expander(const MainCf& cf) : cf_(cf) {}

  Result<std::string> param(std::string_view name) {
    std::string out;
    if (!resolve(name, 0, out)) return Error{err_};
    return out;
  }
  Result<std::string> text(std::string_view value) {
    std::string out;
    if (!expand(value, 0, out)) return Error{err_};
    return out;
  }

 private:
  bool fail(std::string msg) {
    if (err_.empty()) err_ = std::move(msg);
    return false;
  }

  // The value of name with its own text expanded at depth.
  bool resolve(std::string_view name, int depth, std::string& out) {
    if (++steps_ > kExpandStepsMax) return fail("too many parameter expansions");
    if (name == "mydomain" && !cf_.is_explicit(name)) {
      std::string host;
      if (!resolve("myhostname", depth, host)) return false;
      out += domain_of(host);
      return true;
    }
    return expand(cf_.raw(name), depth, out);
  }

  bool ref(std::string_view name, int depth, std::string& out) {
    // A loop (a = $b, b = $a) ends here instead of exhausting the stack.
    if (depth + 1 > kExpandDepthMax)
      return fail("parameter expansion nested deeper than " + std::to_string(kExpandDepthMax) +
                  " levels at $" + std::string(name) + " (a loop?)");
    if (!resolve(name, depth + 1, out)) return false;
    if (out.size() > kExpandOutputMax) return fail("expanded value too long");
    return true;
  }

  bool expand(std::string_view v, int depth, std::string& out) {
    size_t i = 0;
    while (i < v.size()) {
      size_t d = v.find('$', i);
      if (d == std::string_view::npos) d = v.size();
      out.append(v.substr(i, d - i));
      i = d;
      if (i == v.size()) break;
      if (i + 1 == v.size()) return fail("'$' at end of value");
      char n = v[i + 1];
      if (n == '$') {
        out += '$';
        i += 2;
      } else if (n == '{' || n == '(') {
        size_t end = matching(v, i + 1, n, n == '{' ? '}' : ')');
        if (end == std::string_view::npos)
          return fail(std::string("missing '") + (n == '{' ? '}' : ')') + "' in " + shown(v.substr(i)));
        if (!braced(v.substr(i + 2, end - i - 2), depth, out)) return false;
        i = end + 1;
      } else if (is_name_char(n)) {
        size_t j = i + 1;
        while (j < v.size() && is_name_char(v[j])) ++j;
        if (!ref(v.substr(i + 1, j - i - 1), depth, out)) return false;
        i = j;
      } else {
        return fail("'$' followed by '" + shown(std::string_view(&n, 1)) +
                    "' (write $$ for a literal '$')");
      }
    }
    return true;
  }

  // Splits "{text}" off the front of s (after white space); returns the
  // text and leaves s after the closing brace.
  static std::optional<std::string_view> take_braced(std::string_view& s) {
    size_t b = 0;
    while (b < s.size() && is_blank(s[b])) ++b;
    if (b == s.size() || s[b] != '{') return std::nullopt;
    size_t e = matching(s, b, '{', '}');
    if (e == std::string_view::npos) return std::nullopt;
    std::string_view inner = s.substr(b + 1, e - b - 1);
    s.remove_prefix(e + 1);
    return inner;
  }

  bool braced(std::string_view inner, int depth, std::string& out) {
    size_t k = 0;
    while (k < inner.size() && is_name_char(inner[k])) ++k;
    std::string_view name = inner.substr(0, k);
    if (name.empty()) return fail("missing parameter name in ${" + shown(inner) + "}");
    if (k == inner.size()) return ref(name, depth, out);
    char op = inner[k];
    if (op != '?' && op != ':')
      return fail("unexpected '" + shown(std::string_view(&op, 1)) + "' after $" +
                  std::string(name) + " in ${" + shown(inner) + "}");
    std::string_view rest = inner.substr(k + 1), when_true = rest, when_false;
    if (auto first = take_braced(rest)) {
      // Postfix 3 forms: ${name?{a}}, ${name:{a}}, ${name?{a}:{b}}.
      when_true = *first;
      rest = str::trim(rest);
      if (!rest.empty()) {
        if (op != '?' || rest.front() != ':')
          return fail("unexpected text after {...} in ${" + shown(inner) + "}");
        rest.remove_prefix(1);
        auto second = take_braced(rest);
        if (!second || !str::trim(rest).empty())
          return fail("expected {text} after ':' in ${" + shown(inner) + "}");
        when_false = *second;
      }
    }
    std::string value;
    if (!ref(name, depth, value)) return false;
    bool set = !value.empty();
    if (op == '?') return expand(set ? when_true : when_false, depth, out);
    return expand(set ? std::string_view() : when_true, depth, out);
  }

  const MainCf& cf_;
  std::string err_;
  unsigned steps_ = 0;
};

// Parameters whose String or List value must be one of a few words; the
// daemons compare these literally, so the check here is what makes a typo
// fail at load time instead of silently selecting a default behaviour.
struct Choices {
  std::string_view name;
  std::initializer_list<std::string_view> words;
};
const Choices kChoices[] = {
    {"inet_protocols", {"all", "ipv4", "ipv6"}},
    {"mailbox_delivery_lock", {"fcntl", "flock", "dotlock"}},
    {"mynetworks_style", {"host", "subnet", "class"}},
    {"smtpd_forbid_bare_newline", {"normalize", "reject", "no"}},
    {"syslog_facility", {"mail", "daemon", "user", "auth", "authpriv", "local0", "local1", "local2",
                         "local3", "local4", "local5", "local6", "local7"}},
};

std::string choice_list(const Choices& c) {
  std::string s;
  for (auto w : c.words) s += (s.empty() ? "" : ", ") + std::string(w);
  return s;
}

bool in_choices(const Choices& c, std::string_view w) {
  return std::find(c.words.begin(), c.words.end(), w) != c.words.end();
}

std::optional<unsigned long long> parse_bool(std::string_view v) {
  if (str::iequals(v, "yes")) return 1;
  if (str::iequals(v, "no")) return 0;
  return std::nullopt;
}

// Int parameters end up in C ints (process limits, counters), so they are
// capped at INT_MAX as in Postfix; sizes may use all 18 digits.
std::optional<unsigned long long> parse_int(std::string_view v) {
  auto n = str::to_uint(v);
  if (!n || *n > static_cast<unsigned long long>(INT_MAX)) return std::nullopt;
  return n;
}

bool is_time_unit(char c) { return c == 's' || c == 'm' || c == 'h' || c == 'd' || c == 'w'; }

// "300s", "5d", "2w"; "30" takes the unit of the default value ("5d" -> days).
std::optional<long long> parse_time(std::string_view v, std::string_view default_value) {
  char unit = 's';
  if (!default_value.empty() && is_time_unit(default_value.back())) unit = default_value.back();
  if (!v.empty() && is_time_unit(v.back())) {
    unit = v.back();
    v.remove_suffix(1);
  }
  auto n = str::to_uint(v);
  if (!n) return std::nullopt;
  long long mult = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : unit == 'w' ? 604800 : 1;
  if (*n > static_cast<unsigned long long>(LLONG_MAX / mult)) return std::nullopt;
  return static_cast<long long>(*n) * mult;
}

// The message for a value that does not fit def's type, or "" when it fits.
std::string type_problem(const ParamDef& def, std::string_view v) {
  std::string name(def.name);
  switch (def.type) {
    case Type::Bool:
      if (!parse_bool(v)) return "bad boolean value for " + name + ": " + shown(v);
      break;
    case Type::Int:
      if (!parse_int(v)) return "bad integer value for " + name + ": " + shown(v);
      break;
    case Type::Size:
      if (!str::to_uint(v)) return "bad size value for " + name + ": " + shown(v) + " (expected bytes)";
      break;
    case Type::Time:
      if (!parse_time(v, def.default_value))
        return "bad time value for " + name + ": " + shown(v) + " (expected a number with unit s, m, h, d or w)";
      break;
    case Type::String:
    case Type::List:
      break;
  }
  if (def.name == "mynetworks") {
    // Checked here so that a typo is reported with file:line at load time;
    // smtpd relies on every item being a network.
    for (const auto& w : str::split(v, " \t\r\n,")) {
      std::string_view item = w;
      if (!item.empty() && item.front() == '!') item.remove_prefix(1);
      if (auto c = net::parse_cidr(item); !c) return "bad mynetworks value: " + c.error().message;
    }
  }
  for (const auto& c : kChoices) {
    if (c.name != def.name) continue;
    if (def.type == Type::List) {
      for (const auto& w : str::split(v, " \t\r\n,"))
        if (!in_choices(c, w))
          return "bad value for " + name + ": " + shown(w) + " (expected " + choice_list(c) + ")";
    } else if (!in_choices(c, v)) {
      return "bad value for " + name + ": " + shown(v) + " (expected " + choice_list(c) + ")";
    }
  }
  return "";
}

// Expands every explicit value (and every default, which may refer to
// explicit ones) and checks it against its type. lines maps explicit names
// to the line that defined them; when null (set()), messages have no
// file:line prefix.
Status validate(const MainCf& cf, const std::map<std::string, int, std::less<>>* lines,
                const std::string& filename) {
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [name, value] : cf.explicit_params()) {
    int line = 0;
    if (lines) {
      auto it = lines->find(name);
      if (it != lines->end()) line = it->second;
    }
    order.emplace_back(line, name);
  }
  std::sort(order.begin(), order.end());
  for (const auto& def : params())
    if (!cf.is_explicit(def.name)) order.emplace_back(-1, std::string(def.name));

  for (const auto& [line, name] : order) {
    std::string prefix = line > 0 ? where(filename, line)
                         : line < 0 && lines ? filename + ": default value: "
                                             : "";
    Expander ex(cf);
    auto v = ex.param(name);
    if (!v) return Error{prefix + "cannot expand " + name + ": " + v.error().message};
    if (const ParamDef* def = find_param(name)) {
      std::string problem = type_problem(*def, *v);
      if (!problem.empty()) return Error{prefix + problem};
    }
  }
  return {};
}

void master_cf_refs(const std::string& config_dir, RefSet& refs) {
  // master.cf -o values may use main.cf helper parameters
  // (-o smtpd_recipient_restrictions=$mua_recipient_restrictions), which
  // makes those parameters "used" just as a reference inside main.cf does.
  auto text = detail::read_config_file(config_dir + "/master.cf");
  if (!text) return;
  auto lines = detail::logical_lines(*text, config_dir + "/master.cf");
  if (!lines) return;
  for (const auto& l : *lines) {
    collect_refs(l.text, refs);
    // Postfix knows per-service parameters for every master.cf service
    // ("slow unix ... local" makes slow_destination_concurrency_limit a
    // parameter), which qmgr reads for that transport.
    std::string_view text = l.text;
    size_t end = 0;
    while (end < text.size() && detail::is_name_char(text[end])) ++end;
    if (end == 0 || end >= text.size() || (text[end] != ' ' && text[end] != '\t')) continue;
    std::string service(text.substr(0, end));
    refs.insert(service + "_destination_concurrency_limit");
    refs.insert(service + "_destination_recipient_limit");
  }
}

}  // namespace

// ---- shared helpers ---------------------------------------------------

namespace detail {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string where(const std::string& filename, int line) {
  return filename + ":" + std::to_string(line) + ": ";
}

Result<std::string> read_config_file(const std::string& path) {
  // O_NONBLOCK: a FIFO planted in place of the file must not hang startup.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return sys_error("open " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat " + path);
  if (!S_ISREG(st.st_mode)) return Error{path + ": not a regular file"};
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kConfigFileMax)
      return Error{path + ": file too large (limit " + std::to_string(kConfigFileMax) + " bytes)"};
  }
  return out;
}

// Postfix readlline() (lib/file/lines.h), with main.cf's rules: a NUL byte
// and a continuation line without a preceding line are errors.
Result<std::vector<LogicalLine>> logical_lines(std::string_view text, const std::string& filename) {
  if (text.size() > kConfigFileMax)
    return Error{filename + ": file too large (limit " + std::to_string(kConfigFileMax) + " bytes)"};
  file::LogicalLines split =
      file::logical_lines(text, {.logical_max = kLogicalLineMax, .nul_is_failure = true, .orphan_is_failure = true});
  switch (split.failure) {
    case file::LogicalLines::Failure::None: return std::move(split.lines);
    case file::LogicalLines::Failure::Nul: return Error{where(filename, split.failure_line) + "NUL character"};
    case file::LogicalLines::Failure::Orphan:
      return Error{where(filename, split.failure_line) + "continuation line without a preceding line: " +
                   shown(split.failure_text)};
    case file::LogicalLines::Failure::TooLong:
      return Error{where(filename, split.failure_line) + "logical line too long (limit " +
                   std::to_string(kLogicalLineMax) + " bytes)"};
  }
  return Error{filename + ": unreadable"};
}

}  // namespace detail


// ---- MainCf -------------------------------------------------------------

namespace {

// Names used by files other than the one being parsed (master.cf -o values).
// load() and edit_main_cf() set this around their call of MainCf::parse(),
// whose public signature has no room for it.
thread_local const RefSet* t_outside_refs = nullptr;

class OutsideRefs {
 public:
  explicit OutsideRefs(const RefSet& refs) : saved_(std::exchange(t_outside_refs, &refs)) {}
  ~OutsideRefs() { t_outside_refs = saved_; }
  OutsideRefs(const OutsideRefs&) = delete;
  OutsideRefs& operator=(const OutsideRefs&) = delete;

 private:
  const RefSet* saved_;
};

bool has_line_break(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// A computed value handed out as a raw value must not expand further.
std::string escape_dollars(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

}  // namespace

Result<MainCf> MainCf::parse(std::string_view text, const std::string& filename,
                             const std::string& config_dir) {
  auto lines = detail::logical_lines(text, filename);
  if (!lines) return lines.error();
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, int, std::less<>> line_of;
  for (const auto& l : *lines) {
    size_t eq = l.text.find('=');
    if (eq == std::string::npos)
      return Error{where(filename, l.line) + "missing '=' after parameter name: " + shown(l.text)};
    std::string name(str::trim(std::string_view(l.text).substr(0, eq)));
    if (!valid_name(name)) return Error{where(filename, l.line) + "bad parameter name: " + shown(name)};
    values[name] = std::string(str::trim(std::string_view(l.text).substr(eq + 1)));
    line_of[name] = l.line;  // later definitions override earlier ones
  }

  // Postfix user-defined parameters: a name outside the table is accepted
  // when some value uses it; otherwise it is almost always a typo.
  RefSet refs = t_outside_refs ? *t_outside_refs : RefSet{};
  for (const auto& [name, value] : values) collect_refs(value, refs);
  for (const auto& def : params()) collect_refs(def.default_value, refs);
  int bad_line = INT_MAX;
  std::string bad_name;
  for (const auto& [name, line] : line_of) {
    if (!find_param(name) && !refs.contains(name) && line < bad_line) {
      bad_line = line;
      bad_name = name;
    }
  }
  if (!bad_name.empty()) return Error{where(filename, bad_line) + "unknown parameter: " + bad_name};

  MainCf cf;
  cf.config_dir_ = config_dir;
  cf.values_ = std::move(values);
  cf.user_names_ = std::move(refs);
  if (auto st = validate(cf, &line_of, filename); !st) return st.error();
  return cf;
}

Result<MainCf> MainCf::load(const std::string& config_dir) {
  std::string path = config_dir + "/main.cf";
  auto text = detail::read_config_file(path);
  if (!text) return text.error();
  RefSet refs;
  master_cf_refs(config_dir, refs);
  OutsideRefs scope(refs);
  return parse(*text, path, config_dir);
}

Status MainCf::set(std::string_view name, std::string_view value) {
  if (!find_param(name) && !user_names_.contains(name)) return Error{"unknown parameter: " + shown(name)};
  std::string key(name);
  if (has_line_break(value)) return Error{"bad value for " + key + ": contains a line break or NUL"};
  std::optional<std::string> old;
  if (auto it = values_.find(key); it != values_.end()) old = it->second;
  values_[key] = std::string(str::trim(value));
  // Revalidate everything: other values may refer to this one.
  if (auto st = validate(*this, nullptr, ""); !st) {
    if (old) {
      values_[key] = *old;
    } else {
      values_.erase(key);
    }
    return st;
  }
  return {};
}

std::string MainCf::get(std::string_view name) const {
  if (!find_param(name) && !values_.contains(name))
    MAIL_PANIC("lookup of unknown parameter " + std::string(name));
  Expander ex(*this);
  auto v = ex.param(name);
  if (!v) {
    // Only reachable when validation was bypassed; an empty value is the
    // conservative answer (no destination, no banner text, ...).
    log::warning("parameter " + std::string(name) + ": " + v.error().message + "; using an empty value");
    return "";
  }
  return std::move(v).value();
}

bool MainCf::get_bool(std::string_view name) const {
  std::string v = get(name);
  auto b = parse_bool(v);
  if (!b) MAIL_PANIC("parameter " + std::string(name) + " is not a boolean: " + shown(v));
  return *b != 0;
}

unsigned long long MainCf::get_int(std::string_view name) const {
  std::string v = get(name);
  auto n = str::to_uint(v);
  if (!n) MAIL_PANIC("parameter " + std::string(name) + " is not a number: " + shown(v));
  return *n;
}

std::chrono::seconds MainCf::get_time(std::string_view name) const {
  std::string v = get(name);
  const ParamDef* def = find_param(name);
  auto t = parse_time(v, def ? def->default_value : std::string_view());
  if (!t) MAIL_PANIC("parameter " + std::string(name) + " is not a time: " + shown(v));
  return std::chrono::seconds(*t);
}

unsigned long long MainCf::get_size(std::string_view name) const { return get_int(name); }

std::vector<std::string> MainCf::get_list(std::string_view name) const {
  return str::split(get(name), " \t\r\n,");
}

std::string MainCf::raw(std::string_view name) const {
  if (name == "config_directory" && !config_dir_.empty()) return escape_dollars(config_dir_);
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (name == "myhostname") return escape_dollars(system_hostname());
  if (name == "mydomain") return escape_dollars(domain_of(get("myhostname")));
  if (name == "mynetworks") {
    // Postfix computes it from mynetworks_style and the interfaces that are
    // up now; a bad style is reported by validation, not here.
    auto nets = net::default_mynetworks(get("mynetworks_style"), net::local_interfaces());
    return nets ? escape_dollars(*nets) : std::string();
  }
  if (const ParamDef* def = find_param(name)) return std::string(def->default_value);
  return "";
}

bool MainCf::is_explicit(std::string_view name) const { return values_.contains(name); }

std::vector<std::pair<std::string, std::string>> MainCf::explicit_params() const {
  return {values_.begin(), values_.end()};
}

// ---- conf -e --------------------------------------------------------------

namespace {

// Replaces the first definition of name (with its continuation lines) by
// "name = value" and drops later definitions, which would otherwise win;
// every other byte stays as it was. Appends when there is none.
std::string replace_definition(std::string_view text, std::string_view name, std::string_view value) {
  std::string line = std::string(name) + " =" + (value.empty() ? "" : " ") + std::string(value) + "\n";
  std::string out;
  bool in_target = false, replaced = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view phys = text.substr(pos, end - pos);
    pos = end;
    std::string_view body = str::trim(phys);
    if (body.empty() || body.front() == '#') {
      out += phys;
    } else if (is_blank(phys.front())) {
      if (!in_target) out += phys;
    } else {
      in_target = str::trim(body.substr(0, body.find('='))) == name;
      if (!in_target) {
        out += phys;
      } else if (!replaced) {
        out += line;
        replaced = true;
      }
    }
  }
  if (!replaced) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += line;
  }
  return out;
}

// Temp file in the same directory + fsync + rename + fsync of the directory:
// a crash leaves either the old or the new main.cf, never a torn one.
Status write_atomic(const std::string& dir, const std::string& path, std::string_view data, mode_t mode) {
  std::string tmpl = dir + "/.main.cf.XXXXXX";
  Fd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) return sys_error("create temporary file in " + dir);
  auto fail = [&](const std::string& what) {
    Error e = sys_error(what);
    ::unlink(tmpl.c_str());
    return e;
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("fchmod " + tmpl);
  while (!data.empty()) {
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write " + tmpl);
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd.get()) != 0) return fail("fsync " + tmpl);
  fd.reset();
  if (::rename(tmpl.c_str(), path.c_str()) != 0) return fail("rename " + tmpl + " to " + path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd || ::fsync(dfd.get()) != 0) return sys_error("fsync " + dir);
  return {};
}

}  // namespace

Status edit_main_cf(const std::string& config_dir, std::string_view name, std::string_view value) {
  if (!valid_name(name)) return Error{"bad parameter name: " + shown(name)};
  // A line break would let one edit inject further parameters.
  if (has_line_break(value)) return Error{"bad value for " + std::string(name) + ": contains a line break or NUL"};
  value = str::trim(value);
  std::string path = config_dir + "/main.cf";
  std::string old;
  mode_t mode = 0644;
  if (auto text = detail::read_config_file(path); text) {
    old = std::move(text).value();
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  } else if (text.error().sys_errno != ENOENT) {
    return text.error();
  }
  std::string updated = replace_definition(old, name, value);
  {
    // Never write a main.cf that the daemons would refuse to load.
    RefSet refs;
    master_cf_refs(config_dir, refs);
    OutsideRefs scope(refs);
    if (auto cf = MainCf::parse(updated, path, config_dir); !cf) return cf.error();
  }
  return write_atomic(config_dir, path, updated, mode);
}

std::string config_dir_from(const char* dash_c) {
  if (dash_c && *dash_c) return dash_c;
  if (const char* env = std::getenv("MAIL_CONFIG"); env && *env) return env;
  return BUZON_CONFIG_DIR;
}

}  // namespace buzon::config
