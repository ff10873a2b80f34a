#include "lib/net/cidr_table.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/fd.h"
#include "lib/core/strings.h"

namespace buzon::net {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string at(const std::string& file, int line) { return file + ":" + std::to_string(line) + ": "; }

}  // namespace

Result<CidrTable> CidrTable::parse(std::string_view text, const std::string& filename) {
  if (text.size() > kCidrFileMax) return Error{filename + ": file too large"};
  // Logical lines first: a line starting with white space continues the
  // previous entry.
  struct Logical {
    std::string text;
    int line;
  };
  std::vector<Logical> lines;
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view phys = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    std::string_view body = str::trim(phys);
    if (body.empty() || body.front() == '#') continue;
    if (blank(phys.front()) && !lines.empty()) {
      lines.back().text += ' ';
      lines.back().text += body;
    } else {
      lines.push_back({std::string(body), lineno});
    }
    if (lines.back().text.size() > kCidrLineMax) return Error{at(filename, lines.back().line) + "line too long"};
  }
  CidrTable t;
  for (const auto& l : lines) {
    size_t sp = l.text.find_first_of(" \t");
    if (sp == std::string::npos) return Error{at(filename, l.line) + "no result after network: " + str::sanitize(l.text)};
    auto net = parse_cidr(l.text.substr(0, sp));
    if (!net) return Error{at(filename, l.line) + net.error().message};
    t.rules_.push_back({*net, std::string(str::trim(std::string_view(l.text).substr(sp)))});
  }
  return t;
}

Result<CidrTable> CidrTable::load(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return sys_error("open " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat " + path);
  if (!S_ISREG(st.st_mode)) return Error{path + ": not a regular file"};
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read " + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kCidrFileMax) return Error{path + ": file too large"};
  }
  return parse(text, path);
}

std::optional<std::string> CidrTable::lookup(std::string_view key) const {
  auto ip = parse_ip(key);
  if (!ip) return std::nullopt;
  for (const Rule& r : rules_)
    if (r.net.contains(*ip)) return r.result;
  return std::nullopt;
}

}  // namespace buzon::net
