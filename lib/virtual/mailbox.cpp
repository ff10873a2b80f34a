#include "lib/virtual/mailbox.h"

#include <sys/stat.h>

#include <cerrno>

#include "lib/core/strings.h"

namespace buzon::virt {

std::vector<std::string> mailbox_keys(std::string_view address, std::string_view delimiters) {
  std::string a = str::lower(address);
  std::vector<std::string> keys;
  auto at = a.rfind('@');
  std::string local = at == std::string::npos ? a : a.substr(0, at);
  std::string domain = at == std::string::npos ? "" : a.substr(at);  // with '@'
  keys.push_back(a);
  if (!delimiters.empty()) {
    size_t d = local.find_first_of(delimiters);
    if (d != std::string::npos && d > 0) keys.push_back(local.substr(0, d) + domain);
  }
  if (!domain.empty()) keys.push_back(domain);
  return keys;
}

Result<MailboxPath> mailbox_path(std::string_view base, std::string_view result) {
  if (base.empty() || base.front() != '/') return Error{"virtual_mailbox_base must be an absolute path"};
  if (result.empty()) return Error{"empty mailbox path"};
  if (result.front() == '/') return Error{"mailbox path is absolute: " + str::sanitize(result)};
  for (char c : result)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Error{"mailbox path has a control character"};
  for (const auto& part : str::split(result, "/"))
    if (part == "..") return Error{"mailbox path has a \"..\" component: " + str::sanitize(result)};
  std::string b(base);
  while (b.size() > 1 && b.back() == '/') b.pop_back();
  return MailboxPath{b + "/" + std::string(result), result.back() == '/'};
}

Status no_symlinks_below(std::string_view base, std::string_view path) {
  std::string b(base);
  while (b.size() > 1 && b.back() == '/') b.pop_back();
  if (path.size() <= b.size() || path.substr(0, b.size()) != b || path[b.size()] != '/')
    return Error{"mailbox path " + str::sanitize(path) + " is not below " + b};
  std::string walked = b;
  for (const auto& part : str::split(path.substr(b.size()), "/")) {
    walked += "/" + part;
    struct stat st;
    if (::lstat(walked.c_str(), &st) < 0) {
      if (errno == ENOENT) return {};
      return sys_error("lstat " + walked);
    }
    if (S_ISLNK(st.st_mode)) return Error{"mailbox path has a symbolic link: " + walked};
  }
  return {};
}

Result<unsigned long> numeric_id(std::string_view result) {
  std::string_view v = str::trim(result);
  if (v.empty() || v.size() > 10) return Error{"bad numeric id: " + str::sanitize(result)};
  unsigned long n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return Error{"bad numeric id: " + str::sanitize(result)};
    n = n * 10 + static_cast<unsigned long>(c - '0');
  }
  if (n > 4294967294UL) return Error{"numeric id out of range: " + str::sanitize(result)};
  return n;
}

Result<std::optional<std::string>> MailboxTables::find(Tables& t, std::string_view address) {
  for (const auto& key : mailbox_keys(address, delimiters_)) {
    auto v = t.lookup(key);
    if (!v) return v.error();
    if (*v) return v;
  }
  return std::optional<std::string>();
}

}  // namespace buzon::virt
