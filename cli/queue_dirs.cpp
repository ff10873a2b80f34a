#include "cli/queue_dirs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"

namespace buzon::cli {
namespace {

struct Made {
  Fd fd;              // the directory, opened without following symlinks
  bool created = false;
};

Result<Made> make_dir(const std::string& path, mode_t mode) {
  Made m;
  if (::mkdir(path.c_str(), mode) == 0) {
    m.created = true;
    // mkdir's mode is narrowed by the umask; the mode is part of the layout.
    if (::chmod(path.c_str(), mode) < 0) return sys_error("chmod " + path);
  } else if (errno != EEXIST) {
    return sys_error("mkdir " + path);
  }
  m.fd = Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!m.fd) {
    if (errno == ELOOP || errno == ENOTDIR) return Error{path + ": not a directory (symlink or file)", errno};
    return sys_error("open " + path);
  }
  return m;
}

}  // namespace

mode_t queue_subdir_mode(const std::string& name, bool root) {
  if (name == "public") return root ? 0710 : 0755;
  return 0700;
}

Status create_queue_dirs(const std::string& queue_dir, std::optional<std::pair<uid_t, gid_t>> owner,
                         std::vector<std::string>* created) {
  if (auto s = file::make_dirs(file::dirname(queue_dir)); !s) return s;
  auto top = make_dir(queue_dir, 0755);
  if (!top) return top.error();
  if (top->created && created) created->push_back(queue_dir);
  for (const char* sub : queue::kDirs) {
    std::string path = queue_dir + "/" + sub;
    auto made = make_dir(path, queue_subdir_mode(sub, owner.has_value()));
    if (!made) return made.error();
    if (!made->created) continue;
    if (created) created->push_back(path);
    if (owner && std::string(sub) != "pid" && ::fchown(made->fd.get(), owner->first, owner->second) < 0)
      return sys_error("chown " + path);
  }
  return {};
}

}  // namespace buzon::cli
