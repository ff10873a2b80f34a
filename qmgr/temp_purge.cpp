#include "qmgr/temp_purge.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/fd.h"
#include "lib/log/log.h"
#include "lib/queue/queue.h"
#include "qmgr/queue_dirs.h"

namespace buzon::qmgr {

size_t purge_stale_temp(const std::string& queue_dir, std::time_t now) {
  auto ids = list_queue(queue_dir, "tmp");
  if (!ids) {
    log::warning(ids.error().message);
    return 0;
  }
  size_t removed = 0;
  for (const auto& id : *ids) {
    std::string path = queue::path(queue_dir, "tmp", id);
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) continue;  // gone (committed or removed) since the listing
    struct stat st;
    if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) continue;
    if (now - st.st_mtime < kTempMinAge.count()) continue;
    // Held by a live writer: not ours to touch.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) continue;
    // Still under our lock and still the same file: remove it. A writer
    // that committed meanwhile renamed it away, so unlink finds nothing.
    struct stat now_st;
    if (::lstat(path.c_str(), &now_st) < 0 || now_st.st_ino != st.st_ino) continue;
    if (::unlink(path.c_str()) < 0) {
      if (errno != ENOENT) log::warning(sys_error("unlink " + path).message);
      continue;
    }
    log::info(id + ": removed stale temporary file");
    ++removed;
  }
  return removed;
}

}  // namespace buzon::qmgr
