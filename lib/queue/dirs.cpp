#include "lib/queue/dirs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/fd.h"
#include "lib/queue/queue.h"

namespace buzon::queue {

DirPolicy dir_policy(const std::string& name) {
  if (name == "private") return {0700, true};
  if (name == "public") return {0755, true};
  if (name == "pid") return {0700, false};
  return {0700, true};
}

namespace {

// mkdir if missing (mode set explicitly: umask must not decide), then open
// without following symlinks so the chown below hits this very directory.
Result<Fd> ensure_dir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) {
    if (chmod(path.c_str(), mode) < 0) return sys_error("chmod " + path);
  } else if (errno != EEXIST) {
    return sys_error("mkdir " + path);
  }
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ELOOP || errno == ENOTDIR) return Error{path + ": not a directory (symlink or file)", errno};
    return sys_error("open " + path);
  }
  return fd;
}

}  // namespace

Status make_dirs(const std::string& queue_dir, std::optional<std::pair<uid_t, gid_t>> owner) {
  auto top = ensure_dir(queue_dir, 0755);
  if (!top) return top.error();
  for (const char* name : kDirs) {
    std::string path = queue_dir + "/" + name;
    DirPolicy p = dir_policy(name);
    auto dir = ensure_dir(path, p.mode);
    if (!dir) return dir.error();
    if (!owner) continue;
    uid_t uid = p.owned_by_mail_owner ? owner->first : 0;
    gid_t gid = p.owned_by_mail_owner ? owner->second : 0;
    struct stat st{};
    if (fstat(dir->get(), &st) < 0) return sys_error("stat " + path);
    if ((st.st_uid != uid || st.st_gid != gid) && fchown(dir->get(), uid, gid) < 0)
      return sys_error("chown " + path);
  }
  return {};
}

}  // namespace buzon::queue
