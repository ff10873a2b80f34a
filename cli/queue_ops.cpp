#include "cli/queue_ops.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "lib/file/file.h"
#include "lib/queue/queue.h"

namespace buzon::cli {
namespace {

constexpr std::string_view kAllQueues[] = {"incoming", "active", "deferred", "hold"};

std::string_view target(QueueOp op) {
  switch (op) {
    case QueueOp::Hold: return "hold";
    case QueueOp::Release: return "deferred";
    case QueueOp::Requeue: return "incoming";
    case QueueOp::Delete: return "";
  }
  return "";
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// One attempt; ENOENT means the file moved since it was located.
Status apply_once(const std::string& queue_dir, QueueOp op, std::string_view from, std::string_view id) {
  std::string src = queue::path(queue_dir, from, id);
  if (op == QueueOp::Delete) {
    if (::unlink(src.c_str()) < 0) return sys_error("unlink " + src);
  } else {
    std::string dst = queue::path(queue_dir, target(op), id);
    // Release: due now. The mtime of a deferred file is its next attempt
    // time (qmgr/backoff.h); set before the rename so qmgr never sees a
    // released file with the hold time.
    if (op == QueueOp::Release) {
      timeval tv[2] = {};
      ::gettimeofday(&tv[0], nullptr);
      tv[1] = tv[0];
      if (::utimes(src.c_str(), tv) < 0) return sys_error("utimes " + src);
    }
    if (std::rename(src.c_str(), dst.c_str()) < 0) return sys_error("rename " + src + " to " + dst);
    if (auto s = file::fsync_dir(queue_dir + "/" + std::string(target(op))); !s) return s;
  }
  // The delay reasons go with the message (delete) or with its history
  // (requeue starts afresh, as Postfix's postsuper -r).
  if (op == QueueOp::Delete || op == QueueOp::Requeue) {
    std::string log = queue::path(queue_dir, "defer", id);
    if (::unlink(log.c_str()) < 0 && errno != ENOENT) return sys_error("unlink " + log);
  }
  return {};
}

}  // namespace

std::vector<std::string_view> op_sources(QueueOp op) {
  switch (op) {
    case QueueOp::Delete: return {"incoming", "deferred", "hold"};
    case QueueOp::Hold: return {"incoming", "deferred"};
    case QueueOp::Release: return {"hold"};
    case QueueOp::Requeue: return {"incoming", "deferred", "hold"};
  }
  return {};
}

std::string locate(const std::string& queue_dir, std::string_view id) {
  for (auto q : kAllQueues)
    if (exists(queue::path(queue_dir, q, id))) return std::string(q);
  return "";
}

Result<OpResult> apply_op(const std::string& queue_dir, QueueOp op, std::string_view id) {
  if (!queue::id_ok(id)) return Error{"invalid queue ID"};
  auto sources = op_sources(op);
  // A message moves at most a few times (incoming -> active -> deferred)
  // while we look; a bound keeps a pathological race from looping.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string where = locate(queue_dir, id);
    if (where.empty()) return OpResult{OpOutcome::NotFound, ""};
    if (where == "active") return OpResult{OpOutcome::Busy, where};
    if (std::find(sources.begin(), sources.end(), where) == sources.end())
      return OpResult{OpOutcome::WrongQueue, where};
    auto s = apply_once(queue_dir, op, where, id);
    if (s) return OpResult{OpOutcome::Done, where};
    if (s.error().sys_errno != ENOENT) return s.error();
  }
  return OpResult{OpOutcome::Busy, locate(queue_dir, id)};
}

Result<std::vector<std::string>> ids_for_all(const std::string& queue_dir, QueueOp op) {
  std::vector<std::string> ids;
  for (auto q : op_sources(op)) {
    std::string dir = queue_dir + "/" + std::string(q);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
      if (errno == ENOENT) continue;
      return sys_error("open directory " + dir);
    }
    while (dirent* e = ::readdir(d.get()))
      if (queue::id_ok(e->d_name)) ids.emplace_back(e->d_name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace buzon::cli
