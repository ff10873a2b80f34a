#include "cli/queue_show.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "cli/queue_ops.h"
#include "lib/core/fd.h"
#include "lib/core/strings.h"

namespace buzon::cli {
namespace {

std::string shown(std::string_view s) { return str::sanitize(s, 4096); }

std::string time_text(long long t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  char buf[64];
  if (!::localtime_r(&tt, &tm) || std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm) == 0) return "?";
  return buf;
}

}  // namespace

std::string format_envelope(const queue::Envelope& env, std::string_view queue_name) {
  std::string where = std::string(queue_name) + "/" + env.id;
  std::string o = "*** ENVELOPE RECORDS " + where + " ***\n";
  o += "message_size: " + std::to_string(env.content_size) + "\n";
  o += "message_arrival_time: " + time_text(env.arrival_sec) + "\n";
  o += "sender: " + shown(env.sender) + "\n";
  for (const auto& [name, value] : env.attrs) o += "named_attribute: " + shown(name) + "=" + shown(value) + "\n";
  for (const auto& r : env.recipients) {
    if (!r.original.empty()) o += "original_recipient: " + shown(r.original) + "\n";
    if (r.dsn.notify != 0) o += "dsn_notify: " + queue::format_notify(r.dsn.notify) + "\n";
    if (!r.dsn.orcpt.empty()) o += "dsn_orig_rcpt: " + shown(r.dsn.orcpt) + "\n";
    o += (r.done ? "done_recipient: " : "recipient: ") + shown(r.address) + "\n";
  }
  return o;
}

Status show_message(const std::string& queue_dir, std::string_view id, std::FILE* out) {
  if (!queue::id_ok(id)) return Error{"invalid queue ID"};
  // The file may move between queues while we look: retry the lookup.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string where = locate(queue_dir, id);
    if (where.empty()) return Error{std::string(id) + ": no such message in the queue"};
    std::string path = queue::path(queue_dir, where, id);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) {
      if (errno == ENOENT) continue;
      return sys_error(path);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return Error{path + ": not a regular file"};
    auto env = queue::read_envelope(fd.get(), id);
    if (!env) return Error{path + ": " + env.error().message};
    std::string head = format_envelope(*env, where);
    std::string label = where + "/" + std::string(id);
    head += "*** MESSAGE CONTENTS " + label + " ***\n";
    std::fwrite(head.data(), 1, head.size(), out);
    char buf[65536];
    unsigned long long left = env->content_size;
    char last = '\n';
    off_t at = env->content_offset;
    while (left > 0) {
      size_t want = left < sizeof buf ? static_cast<size_t>(left) : sizeof buf;
      ssize_t n = ::pread(fd.get(), buf, want, at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("read " + path);
      if (n == 0) return Error{path + ": truncated content"};
      if (std::fwrite(buf, 1, static_cast<size_t>(n), out) != static_cast<size_t>(n)) return sys_error("write");
      last = buf[n - 1];
      left -= static_cast<unsigned long long>(n);
      at += n;
    }
    std::string tail = last == '\n' ? "" : "\n";
    tail += "*** MESSAGE FILE END " + label + " ***\n";
    std::fwrite(tail.data(), 1, tail.size(), out);
    if (std::fflush(out) != 0) return sys_error("write");
    return {};
  }
  return Error{std::string(id) + ": the message keeps moving between queues; try again"};
}

}  // namespace buzon::cli
