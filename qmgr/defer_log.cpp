#include "qmgr/defer_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"

namespace buzon::qmgr {
namespace {

// Bounded like every other record: a reason cannot bloat the defer log.
constexpr size_t kFieldMax = 1024;

std::string clean(std::string_view s) {
  std::string out(s.substr(0, kFieldMax));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

}  // namespace

std::string format_defer_line(const DeferEntry& e) {
  return clean(e.recipient) + "\t" + clean(e.dsn) + "\t" + clean(e.reason) + "\n";
}

std::optional<DeferEntry> parse_defer_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  auto t1 = line.find('\t');
  if (t1 == std::string_view::npos) return std::nullopt;
  auto t2 = line.find('\t', t1 + 1);
  if (t2 == std::string_view::npos || line.find('\t', t2 + 1) != std::string_view::npos) return std::nullopt;
  if (line.find('\n') != std::string_view::npos) return std::nullopt;
  return DeferEntry{std::string(line.substr(0, t1)), std::string(line.substr(t1 + 1, t2 - t1 - 1)),
                    std::string(line.substr(t2 + 1))};
}

Status append_defer(const std::string& queue_dir, std::string_view id, const DeferEntry& e) {
  std::string p = queue::path(queue_dir, "defer", id);
  Fd fd(::open(p.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return sys_error("open " + p);
  if (auto s = file::write_all(fd.get(), format_defer_line(e)); !s) return s;
  if (::fsync(fd.get()) < 0) return sys_error("fsync " + p);
  return {};
}

Result<std::vector<DeferEntry>> read_defer(const std::string& queue_dir, std::string_view id) {
  std::vector<DeferEntry> out;
  auto text = file::read_file(queue::path(queue_dir, "defer", id), kDeferLogMax);
  if (!text) {
    if (text.error().sys_errno == ENOENT) return out;
    return text.error();
  }
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    if (auto e = parse_defer_line(rest.substr(0, nl))) out.push_back(std::move(*e));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  return out;
}

DeferEntry delay_warned_entry() { return DeferEntry{"", "delay-warning", "delay notice sent"}; }

bool delay_warned(const std::vector<DeferEntry>& log) {
  for (const auto& e : log)
    if (e.recipient.empty() && e.dsn == "delay-warning") return true;
  return false;
}

Status remove_defer(const std::string& queue_dir, std::string_view id) {
  std::string p = queue::path(queue_dir, "defer", id);
  if (::unlink(p.c_str()) < 0 && errno != ENOENT) return sys_error("unlink " + p);
  return {};
}

}  // namespace buzon::qmgr
