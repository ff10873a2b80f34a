#include "lib/queue/spare.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bitset>
#include <cerrno>
#include <charconv>
#include <string_view>

namespace buzon::queue {

namespace {

// A keeper tries the slot after a taken one before giving up (the ring is
// full: it fills in order behind the taker); a taker a few past an empty
// one (others may take too).
constexpr unsigned kKeepTries = 2;
constexpr unsigned kTakeTries = 4;

// Where this process keeps and takes next. A taker stays where it missed:
// the keeper fills the ring behind the last spare taken.
std::atomic<unsigned> g_keep_at{0};
std::atomic<unsigned> g_take_at{0};

std::string slot_path(const std::string& queue_dir, unsigned n) {
  return queue_dir + "/tmp/spare." + std::to_string(n % kSpareSlots);
}

bool rename_noreplace(const std::string& from, const std::string& to) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0;
}

// Opens `path` for reading and writing (the journal copies a committed
// file from it, lib/queue/journal_writer.h) and locks it, if it is a plain
// file of ours that no one else has locked; empty when not. *size: its size.
Fd open_locked(const std::string& path, off_t* size = nullptr) {
  Fd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return {};
  struct stat st;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0 || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) ||
      st.st_nlink != 1 || st.st_uid != ::geteuid())
    return {};
  if (size) *size = st.st_size;
  return fd;
}

// Still the file at `path`, now that we hold its lock.
bool still_named(int fd, const std::string& path) {
  struct stat by_fd, by_name;
  return ::fstat(fd, &by_fd) == 0 && ::lstat(path.c_str(), &by_name) == 0 && by_fd.st_dev == by_name.st_dev &&
         by_fd.st_ino == by_name.st_ino;
}

}  // namespace

bool keep_spare(const std::string& queue_dir, const std::string& path) {
  // Locked before it takes a slot's name, until it is empty: no taker can
  // have it before. Locked after the rename instead, a taker could take
  // it, write a message into it and rename it into incoming/ between the
  // keeper's rename and its lock, which then emptied an accepted message.
  Fd fd = open_locked(path);
  if (!fd) return false;
  unsigned at = g_keep_at.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < kKeepTries; ++i) {
    std::string slot = slot_path(queue_dir, at + i);
    if (!rename_noreplace(path, slot)) {
      if (errno == EEXIST) continue;
      return false;
    }
    g_keep_at.store(at + i + 1, std::memory_order_relaxed);
    // Emptied after the rename, so that a crash in between leaves a spare
    // with a message in it (emptied when taken), never an empty file where
    // a message was.
    (void)::ftruncate(fd.get(), 0);
    return true;
  }
  return false;
}

std::optional<Spare> take_spare(const std::string& queue_dir) {
  unsigned at = g_take_at.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < kTakeTries; ++i) {
    std::string slot = slot_path(queue_dir, at + i);
    // Not there, locked by another taker or a keeper, not a plain file of
    // ours, or no longer the file at `slot` (a taker that had it locked
    // renamed it into incoming/ before we got the lock): the next slot.
    off_t size = 0;
    Fd fd = open_locked(slot, &size);
    if (!fd || !still_named(fd.get(), slot)) continue;
    // Usually the keeper emptied it; truncating an empty file still costs
    // an inode update.
    if (size != 0 && ::ftruncate(fd.get(), 0) < 0) return std::nullopt;
    g_take_at.store(at + i + 1, std::memory_order_relaxed);
    return Spare{std::move(fd), std::move(slot)};
  }
  return std::nullopt;
}

void find_spare_cursors(const std::string& queue_dir) {
  std::bitset<kSpareSlots> occupied;
  if (DIR* d = ::opendir((queue_dir + "/tmp").c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name.substr(0, 6) != "spare.") continue;
      unsigned n = 0;
      auto [end, ec] = std::from_chars(name.data() + 6, name.data() + name.size(), n);
      if (ec == std::errc() && end == name.data() + name.size() && n < kSpareSlots) occupied.set(n);
    }
    ::closedir(d);
  }
  unsigned keep = 0, take = 0;
  if (occupied.any() && !occupied.all()) {
    // A run starts at an occupied slot after an empty one and ends at an
    // empty slot after an occupied one; of several runs, the last one.
    for (unsigned i = 0; i < kSpareSlots; ++i) {
      bool here = occupied[i], before = occupied[(i + kSpareSlots - 1) % kSpareSlots];
      if (here && !before) take = i;
      if (!here && before) keep = i;
    }
  }
  g_keep_at.store(keep, std::memory_order_relaxed);
  g_take_at.store(take, std::memory_order_relaxed);
}

}  // namespace buzon::queue
