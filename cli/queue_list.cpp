#include "cli/queue_list.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/json.h"
#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"

namespace buzon::cli {
namespace {

struct DirCloser {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Queue data came from the network: keep it from forging output lines.
std::string shown(std::string_view s) { return str::sanitize(s, 1000); }

std::string arrival(long long t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  char buf[64];
  if (!::localtime_r(&tt, &tm) || std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S", &tm) == 0)
    return "?";
  return buf;
}

// One message; nullopt (with a warning) when it cannot be shown.
std::optional<QueuedMessage> read_message(const std::string& queue_dir, const ListedQueue& q,
                                          const std::string& id, std::vector<std::string>& warnings) {
  std::string path = queue::path(queue_dir, q.name, id);
  // O_NONBLOCK: a FIFO planted in the queue must not hang the listing.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    if (errno != ENOENT)  // ENOENT: delivered or moved since readdir
      warnings.push_back(sys_error(path).message);
    return std::nullopt;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) {
    warnings.push_back(path + ": not a regular file");
    return std::nullopt;
  }
  auto env = queue::read_envelope(fd.get(), id);
  if (!env) {
    warnings.push_back(path + ": " + env.error().message);
    return std::nullopt;
  }
  QueuedMessage m;
  m.id = id;
  m.queue_name = q.name;
  m.mark = q.mark;
  m.arrival_time = env->arrival_sec;
  m.message_size = env->content_size;
  m.sender = env->sender;

  std::vector<std::pair<std::string, std::string>> reasons;
  std::string defer_path = queue::path(queue_dir, "defer", id);
  if (auto log = file::read_file(defer_path, kDeferLogMax); log) {
    reasons = parse_defer_log(*log);
  } else if (log.error().sys_errno != ENOENT) {
    warnings.push_back(log.error().message);
  }
  for (const auto& r : env->recipients) {
    if (r.done) continue;
    QueuedRecipient qr{r.address, ""};
    for (const auto& [rcpt, reason] : reasons)
      if (rcpt == r.address) qr.delay_reason = reason;
    m.recipients.push_back(std::move(qr));
  }
  return m;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_defer_log(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t t1 = line.find('\t');
    if (t1 == std::string_view::npos) continue;
    size_t t2 = line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) continue;
    out.emplace_back(std::string(line.substr(0, t1)), std::string(line.substr(t2 + 1)));
  }
  return out;
}

Result<QueueListing> scan_queue(const std::string& queue_dir) {
  struct stat st;
  if (::stat(queue_dir.c_str(), &st) < 0) return sys_error(queue_dir);
  if (!S_ISDIR(st.st_mode)) return Error{queue_dir + ": not a directory"};
  QueueListing out;
  for (const auto& q : kListedQueues) {
    std::string dir = queue_dir + "/" + q.name;
    DirPtr d(::opendir(dir.c_str()));
    if (!d) {
      if (errno != ENOENT) out.warnings.push_back(sys_error(dir).message);
      continue;
    }
    std::vector<std::string> ids;
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (!queue::id_ok(name)) {
        out.warnings.push_back(dir + "/" + shown(name) + ": not a queue file name");
        continue;
      }
      ids.push_back(std::move(name));
    }
    if (errno != 0) out.warnings.push_back(sys_error("readdir " + dir).message);
    std::sort(ids.begin(), ids.end());  // queue IDs sort in arrival order
    for (const auto& id : ids)
      if (auto m = read_message(queue_dir, q, id, out.warnings)) out.messages.push_back(std::move(*m));
  }
  return out;
}

std::string format_mailq(const std::vector<QueuedMessage>& messages) {
  if (messages.empty()) return "Mail queue is empty\n";
  std::string out = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  unsigned long long total = 0;
  char line[2048];
  for (const auto& m : messages) {
    total += m.message_size;
    // Postfix's layout: "%-10s%c %7ld %20.20s %s".
    std::snprintf(line, sizeof line, "%-10s%c %7llu %-20.20s %s\n", m.id.c_str(), m.mark, m.message_size,
                  arrival(m.arrival_time).c_str(), m.sender.empty() ? "MAILER-DAEMON" : shown(m.sender).c_str());
    out += line;
    std::string last_reason;
    for (const auto& r : m.recipients) {
      if (!r.delay_reason.empty() && r.delay_reason != last_reason) {
        out += "(" + shown(r.delay_reason) + ")\n";
        last_reason = r.delay_reason;
      }
      out += std::string(41, ' ') + shown(r.address) + "\n";
    }
    out += "\n";
  }
  out += "-- " + std::to_string(total / 1024) + " Kbytes in " + std::to_string(messages.size()) +
         (messages.size() == 1 ? " Request.\n" : " Requests.\n");
  return out;
}

std::string format_json(const std::vector<QueuedMessage>& messages) {
  std::string out;
  for (const auto& m : messages) {
    out += "{\"queue_name\": " + json_string(m.queue_name) + ", \"queue_id\": " + json_string(m.id) +
           ", \"arrival_time\": " + std::to_string(m.arrival_time) +
           ", \"message_size\": " + std::to_string(m.message_size) + ", \"sender\": " + json_string(m.sender) +
           ", \"recipients\": [";
    bool first = true;
    for (const auto& r : m.recipients) {
      if (!first) out += ", ";
      first = false;
      out += "{\"address\": " + json_string(r.address);
      if (!r.delay_reason.empty()) out += ", \"delay_reason\": " + json_string(r.delay_reason);
      out += "}";
    }
    out += "]}\n";
  }
  return out;
}

}  // namespace buzon::cli
