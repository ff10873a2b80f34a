#include "qmgr/queue_dirs.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "lib/queue/queue.h"

namespace buzon::qmgr {

Result<std::vector<std::string>> list_queue(const std::string& queue_dir, std::string_view dir) {
  std::string p = queue_dir + "/" + std::string(dir);
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(p.c_str()), ::closedir);
  if (!d) return sys_error("open directory " + p);
  std::vector<std::string> ids;
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    if (queue::id_ok(e->d_name)) ids.emplace_back(e->d_name);
    errno = 0;
  }
  if (errno != 0) return sys_error("read directory " + p);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Status move_file(const std::string& queue_dir, std::string_view from, std::string_view to, std::string_view id) {
  std::string a = queue::path(queue_dir, from, id), b = queue::path(queue_dir, to, id);
  if (std::rename(a.c_str(), b.c_str()) < 0) return sys_error("rename " + a + " to " + b);
  return {};
}

Status set_time(const std::string& path, long long when) {
  timeval tv[2] = {{static_cast<time_t>(when), 0}, {static_cast<time_t>(when), 0}};
  if (::utimes(path.c_str(), tv) < 0) return sys_error("utimes " + path);
  return {};
}

Result<long long> mtime_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return sys_error("stat " + path);
  return static_cast<long long>(st.st_mtime);
}

}  // namespace buzon::qmgr
