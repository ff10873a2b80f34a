#include "lib/queue/journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <optional>

#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"

namespace buzon::queue {
namespace {

// Both headers: magic at 0, the CRC-32 of bytes 0-59 at 60, little-endian
// integers. Segment: version at 4, serial at 8, boot ID at 16 (36 bytes).
// Record: serial at 8, length at 16, content CRC at 24, queue ID at 28.
constexpr size_t kCrcAt = 60;

void put(std::string& b, size_t at, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t get(std::string_view b, size_t at, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(b[at + i])} << (8 * i);
  return v;
}
void seal(std::string& b) { put(b, kCrcAt, crc32_of(std::string_view(b).substr(0, kCrcAt)), 4); }
bool sealed_ok(std::string_view b, std::string_view magic) {
  return b.substr(0, 4) == magic && get(b, kCrcAt, 4) == crc32_of(b.substr(0, kCrcAt));
}

Result<std::string> read_at(int fd, uint64_t offset, size_t n) {
  std::string b(n, '\0');
  if (auto s = file::pread_exact(fd, b.data(), n, static_cast<off_t>(offset)); !s)
    return Error{"journal segment: " + s.error().message, s.error().sys_errno};
  return b;
}

}  // namespace

uint32_t crc32_of(std::string_view bytes, uint32_t crc) {
  uLong c = crc;
  while (!bytes.empty()) {  // zlib takes a uInt length
    uInt n = static_cast<uInt>(std::min<size_t>(bytes.size(), 1u << 30));
    c = ::crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(c);
}

Result<BootId> current_boot_id() {
  static std::optional<BootId> known;
  if (known) return *known;
  auto text = file::read_file("/proc/sys/kernel/random/boot_id", 64);
  if (!text) return text.error();
  BootId id{};
  if (text->size() < id.size()) return Error{"boot_id: too short"};
  std::memcpy(id.data(), text->data(), id.size());
  known = id;
  return id;
}

std::string encode_segment_header(uint64_t serial, const BootId& boot) {
  std::string b(kSegmentHeaderSize, '\0');
  std::memcpy(b.data(), "BZJS", 4);
  put(b, 4, 1, 4);
  put(b, 8, serial, 8);
  std::memcpy(b.data() + 16, boot.data(), boot.size());
  seal(b);
  return b;
}

std::string encode_record_header(uint64_t serial, std::string_view id, uint64_t length, uint32_t content_crc) {
  std::string b(kRecordHeaderSize, '\0');
  std::memcpy(b.data(), "BZJR", 4);
  put(b, 8, serial, 8);
  put(b, 16, length, 8);
  put(b, 24, content_crc, 4);
  std::memcpy(b.data() + 28, id.data(), std::min(id.size(), kIdSize));
  seal(b);
  return b;
}

Result<JournalSegment> read_segment(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) < 0) return sys_error("fstat journal segment");
  uint64_t end = std::min<uint64_t>(static_cast<uint64_t>(st.st_size), kSegmentReadMax);
  if (end < kSegmentHeaderSize) return Error{"journal segment without a header"};
  auto head = read_at(fd, 0, kSegmentHeaderSize);
  if (!head) return head.error();
  if (!sealed_ok(*head, "BZJS") || get(*head, 4, 4) != 1) return Error{"journal segment header is damaged"};
  JournalSegment seg;
  seg.serial = get(*head, 8, 8);
  std::memcpy(seg.boot.data(), head->data() + 16, seg.boot.size());
  for (uint64_t at = kSegmentHeaderSize; at + kRecordHeaderSize <= end;) {
    auto h = read_at(fd, at, kRecordHeaderSize);
    if (!h || !sealed_ok(*h, "BZJR") || get(*h, 8, 8) != seg.serial) break;
    JournalRecord r;
    r.id.assign(h->data() + 28, kIdSize);
    r.length = get(*h, 16, 8);
    r.crc = static_cast<uint32_t>(get(*h, 24, 4));
    r.offset = at + kRecordHeaderSize;
    if (!id_ok(r.id) || r.length > kRecordContentMax || r.offset + r.length > end) break;
    at = r.offset + r.length;
    seg.records.push_back(std::move(r));
  }
  return seg;
}

Result<std::string> read_content(int fd, const JournalRecord& r) {
  auto content = read_at(fd, r.offset, r.length);
  if (!content) return content.error();
  if (crc32_of(*content) != r.crc) return Error{"journal record " + r.id + " is torn (CRC mismatch)"};
  return content;
}

Status drop_journal(const std::string& queue_dir) {
  std::string path = queue_dir + "/" + kJournalDir;
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return errno == ENOENT ? Status{} : sys_error("open " + path);
  if (::syncfs(dir.get()) < 0) return sys_error("syncfs " + queue_dir);
  int listing = ::dup(dir.get());
  DIR* d = listing < 0 ? nullptr : ::fdopendir(listing);
  if (!d) {
    if (listing >= 0) ::close(listing);
    return sys_error("list " + path);
  }
  Status st;
  while (dirent* e = ::readdir(d))
    if (id_ok(e->d_name) && ::unlinkat(dir.get(), e->d_name, 0) < 0 && st)
      st = sys_error("unlink " + path + "/" + e->d_name);
  ::closedir(d);
  if (::fsync(dir.get()) < 0 && st) st = sys_error("fsync " + path);
  return st;
}

}  // namespace buzon::queue
