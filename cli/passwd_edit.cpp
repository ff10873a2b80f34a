#include "cli/passwd_edit.h"

#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

// Splits into lines keeping each line's terminator.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    size_t n = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

std::string_view name_of(std::string_view line) {
  std::string_view t = str::trim(line);
  if (t.empty() || t.front() == '#') return {};
  return line.substr(0, line.find(':'));
}

bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_local_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.' || name.front() == '-') return false;
  for (char c : name)
    if (!(lower_or_digit(c) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253 || !lower_or_digit(d.front()) || !lower_or_digit(d.back())) return false;
  for (size_t i = 0; i < d.size(); ++i) {
    if (!(lower_or_digit(d[i]) || d[i] == '.' || d[i] == '-')) return false;
    if (d[i] == '.' && i > 0 && d[i - 1] == '.') return false;
  }
  return true;
}

}  // namespace

bool valid_user_name(std::string_view name) {
  size_t at = name.find('@');
  if (at == std::string_view::npos) return valid_local_name(name);
  return valid_local_name(name.substr(0, at)) && valid_domain(name.substr(at + 1));
}

std::vector<PasswdUser> list_passwd_users(std::string_view text) {
  std::vector<PasswdUser> out;
  for (auto line : lines_of(text)) {
    std::string_view name = name_of(line);
    if (name.empty() || name.size() == line.size()) continue;
    PasswdUser u;
    u.name = std::string(name);
    std::string_view pw = line.substr(name.size() + 1);
    pw = pw.substr(0, pw.find(':'));
    if (pw.starts_with("{") && pw.find('}') != std::string_view::npos) u.scheme = std::string(pw.substr(1, pw.find('}') - 1));
    // name:pw:uid:gid:gecos:home: the text after the fifth colon.
    size_t pos = 0;
    for (int i = 0; i < 5 && pos != std::string_view::npos; ++i) {
      pos = line.find(':', pos);
      if (pos != std::string_view::npos) ++pos;
    }
    if (pos != std::string_view::npos) {
      std::string_view rest = line.substr(pos);
      u.home = std::string(rest.substr(0, rest.find_first_of(":\r\n")));
    }
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::string> passwd_add(std::string_view text, std::string_view name, std::string_view stored, uid_t uid,
                               gid_t gid, std::string_view home) {
  if (!valid_user_name(name))
    return Error{"bad user name: " + str::sanitize(name, 64) + " (a-z, 0-9, . _ -, and @domain for a virtual user)"};
  for (auto line : lines_of(text))
    if (name_of(line) == name) return Error{"user " + std::string(name) + " exists"};
  std::string out(text);
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += std::string(name) + ":" + std::string(stored) + ":" + std::to_string(uid) + ":" + std::to_string(gid) +
         "::" + std::string(home) + "::\n";
  return out;
}

Result<std::string> passwd_set(std::string_view text, std::string_view name, std::string_view stored) {
  std::string out;
  bool found = false;
  for (auto line : lines_of(text)) {
    if (!found && name_of(line) == name) {
      found = true;
      std::string_view rest = line.substr(name.size() + 1);
      size_t colon = rest.find(':');
      std::string_view tail = colon == std::string_view::npos ? std::string_view("\n") : rest.substr(colon);
      out += std::string(name) + ":" + std::string(stored) + std::string(tail);
      continue;
    }
    out += line;
  }
  if (!found) return Error{"no such user: " + str::sanitize(name, 64)};
  return out;
}

Result<std::string> passwd_del(std::string_view text, std::string_view name) {
  std::string out;
  bool found = false;
  for (auto line : lines_of(text)) {
    if (name_of(line) == name) {
      found = true;
      continue;
    }
    out += line;
  }
  if (!found) return Error{"no such user: " + str::sanitize(name, 64)};
  return out;
}

}  // namespace buzon::cli
