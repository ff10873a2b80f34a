#include "lib/queue/queue.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/attr/attr.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/queue/spare.h"

namespace buzon::queue {
namespace {

// Records and content are written in pieces of about this size: the
// content arrives in smtpd's chunks of the same size, which then go to
// write(2) directly instead of through buf_.
constexpr size_t kFlushAt = 16384;

bool is_hex_upper(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

Error corrupt(std::string_view id, const std::string& why) {
  return Error{"corrupt queue file " + std::string(id) + ": " + why};
}

// Sequential reader over the envelope part of a queue file, via pread so the
// caller's file offset is left alone.
class RecordReader {
 public:
  RecordReader(int fd, off_t limit) : fd_(fd), limit_(limit) {}
  off_t pos() const { return pos_; }

  // Reads "type len:data\n". Returns false with why set on any malformation.
  bool next(char& type, std::string& data, std::string& why) {
    int c = get();
    if (c < 0) return fail(why, "truncated before content");
    type = static_cast<char>(c);
    size_t len = 0, digits = 0;
    for (;;) {
      c = get();
      if (c < 0) return fail(why, "truncated record length");
      if (c == ':') break;
      if (c < '0' || c > '9' || ++digits > 6) return fail(why, "bad record length");
      len = len * 10 + static_cast<size_t>(c - '0');
    }
    if (digits == 0) return fail(why, "empty record length");
    if (len > kRecordMax) return fail(why, "record too long");
    data.clear();
    for (size_t i = 0; i < len; ++i) {
      c = get();
      if (c < 0) return fail(why, "truncated record");
      data += static_cast<char>(c);
    }
    if (get() != '\n') return fail(why, "record not terminated");
    return true;
  }

 private:
  static bool fail(std::string& why, const char* text) {
    why = text;
    return false;
  }
  int get() {
    if (pos_ >= limit_) return -1;
    if (at_ == have_) {
      ssize_t n;
      do n = ::pread(fd_, buf_, sizeof buf_, pos_);
      while (n < 0 && errno == EINTR);
      if (n <= 0) return -1;
      have_ = static_cast<size_t>(n);
      at_ = 0;
    }
    ++pos_;
    return static_cast<unsigned char>(buf_[at_++]);
  }
  int fd_;
  off_t limit_;
  off_t pos_ = 0;
  char buf_[8192];
  size_t at_ = 0, have_ = 0;
};

}  // namespace

std::string new_id() {
  static unsigned counter = 0;
  timeval tv;
  ::gettimeofday(&tv, nullptr);
  // The uniquifier mixes the pid with a per-process counter so two processes
  // writing in the same microsecond still get distinct IDs.
  unsigned uniq = (static_cast<unsigned>(::getpid()) * 2654435761u + counter++ * 40503u) & 0xffffu;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08llX%05lX%04X", static_cast<unsigned long long>(tv.tv_sec) & 0xffffffffULL,
                static_cast<unsigned long>(tv.tv_usec), uniq);
  return buf;
}

bool id_ok(std::string_view id) {
  if (id.size() != kIdSize) return false;
  for (char c : id)
    if (!is_hex_upper(c)) return false;
  return true;
}

std::string path(const std::string& queue_dir, std::string_view dir, std::string_view id) {
  return queue_dir + "/" + std::string(dir) + "/" + std::string(id);
}

std::optional<unsigned> parse_notify(std::string_view text) {
  static constexpr std::pair<std::string_view, unsigned> kNames[] = {
      {"NEVER", kNotifyNever}, {"SUCCESS", kNotifySuccess}, {"FAILURE", kNotifyFailure}, {"DELAY", kNotifyDelay}};
  unsigned notify = 0;
  for (std::string_view word : str::split(text, ",")) {
    unsigned flag = 0;
    for (auto [name, value] : kNames)
      if (str::iequals(word, name)) flag = value;
    if (flag == 0 || (notify & flag)) return std::nullopt;
    notify |= flag;
  }
  if (notify == 0 || ((notify & kNotifyNever) && notify != kNotifyNever)) return std::nullopt;
  return notify;
}

std::string format_notify(unsigned notify) {
  if (notify & kNotifyNever) return "NEVER";
  std::string out;
  for (auto [flag, name] : {std::pair{kNotifySuccess, "SUCCESS"}, {kNotifyFailure, "FAILURE"}, {kNotifyDelay, "DELAY"}})
    if (notify & flag) {
      if (!out.empty()) out += ',';
      out += name;
    }
  return out;
}

std::string Envelope::attr(std::string_view name) const {
  for (const auto& [k, v] : attrs)
    if (k == name) return v;
  return "";
}

// ---- Writer

Writer::Writer(std::string queue_dir, std::string id, Fd fd, std::string file, bool spare)
    : queue_dir_(std::move(queue_dir)), id_(std::move(id)), fd_(std::move(fd)), file_(std::move(file)), spare_(spare) {}

Writer::Writer(Writer&& o) noexcept
    : queue_dir_(std::move(o.queue_dir_)),
      into_(o.into_),
      id_(std::move(o.id_)),
      fd_(std::move(o.fd_)),
      file_(std::move(o.file_)),
      spare_(o.spare_),
      buf_(std::move(o.buf_)),
      content_size_(o.content_size_),
      recipients_(o.recipients_),
      in_content_(o.in_content_),
      committed_(std::exchange(o.committed_, true)) {}

Writer& Writer::operator=(Writer&& o) noexcept {
  if (this == &o) return *this;
  abandon();
  queue_dir_ = std::move(o.queue_dir_);
  into_ = o.into_;
  id_ = std::move(o.id_);
  fd_ = std::move(o.fd_);
  file_ = std::move(o.file_);
  spare_ = o.spare_;
  buf_ = std::move(o.buf_);
  content_size_ = o.content_size_;
  recipients_ = o.recipients_;
  in_content_ = o.in_content_;
  committed_ = std::exchange(o.committed_, true);
  return *this;
}

Writer::~Writer() { abandon(); }

void Writer::abandon() {
  if (committed_ || !fd_) return;
  // A spare stays a spare (still locked here): emptied, so that it holds
  // no part of a message that was never accepted.
  if (spare_) (void)::ftruncate(fd_.get(), 0);
  else ::unlink(file_.c_str());
}

Result<Writer> Writer::create(const std::string& queue_dir) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string id = new_id();
    // The writer holds a lock on its file until it is gone: a tmp/ file
    // whose lock can be taken belongs to a dead writer (qmgr/temp_purge.h).
    // A spare comes locked; a fresh file cannot be locked by anyone else.
    Fd fd;
    std::string p;
    bool spare = false;
    if (auto s = take_spare(queue_dir)) {
      fd = std::move(s->fd);
      p = std::move(s->path);
      spare = true;
    } else {
      p = path(queue_dir, "tmp", id);
      fd = Fd(::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (!fd) {
        if (errno == EEXIST) continue;
        return sys_error("create " + p);
      }
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) return sys_error("lock " + p);
    }
    Writer w(queue_dir, id, std::move(fd), std::move(p), spare);
    timeval tv;
    ::gettimeofday(&tv, nullptr);
    char t[48];
    std::snprintf(t, sizeof t, "%lld.%06ld", static_cast<long long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
    if (auto s = w.begin_envelope(t); !s) return s.error();
    return w;
  }
  return Error{"create queue file: could not find a unique queue ID"};
}

Result<Writer> Writer::create_replacement(const std::string& queue_dir, std::string_view id, long long arrival_sec,
                                          long arrival_usec) {
  if (!id_ok(id)) return Error{"create queue file: bad queue ID"};
  std::string p = path(queue_dir, "tmp", id);
  if (::unlink(p.c_str()) < 0 && errno != ENOENT) return sys_error("unlink " + p);
  Fd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return sys_error("create " + p);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) return sys_error("lock " + p);
  Writer w(queue_dir, std::string(id), std::move(fd), p, false);
  char t[48];
  std::snprintf(t, sizeof t, "%lld.%06ld", arrival_sec, arrival_usec);
  if (auto s = w.begin_envelope(t); !s) return s.error();
  return w;
}

Status Writer::begin_envelope(std::string_view arrival) {
  if (auto s = record('V', "1"); !s) return s;
  if (auto s = record('I', id_); !s) return s;
  return record('T', arrival);
}

Status Writer::record(char type, std::string_view data) {
  if (in_content_) return Error{"queue file " + id_ + ": envelope record after content"};
  if (data.size() > kRecordMax) return Error{"queue file " + id_ + ": record too long"};
  buf_ += type;
  buf_ += std::to_string(data.size());
  buf_ += ':';
  buf_ += data;
  buf_ += '\n';
  return buf_.size() >= kFlushAt ? flush() : Status{};
}

Status Writer::flush() {
  if (auto s = file::write_all(fd_.get(), buf_); !s) return Error{"queue file " + id_ + ": " + s.error().message};
  buf_.clear();
  return {};
}

Status Writer::sender(std::string_view address) { return record('S', address); }

Status Writer::attr(std::string_view name, std::string_view value) {
  std::string data(name);
  data += '=';
  data += value;
  return record('A', data);
}

Status Writer::recipient(std::string_view address, std::string_view original, const RecipientDsn& dsn) {
  // read_envelope() calls a file with more corrupt: never write one.
  if (recipients_ >= kRecipientsMax)
    return Error{"queue file " + id_ + ": more than " + std::to_string(kRecipientsMax) + " recipients"};
  ++recipients_;
  if (!original.empty())
    if (auto s = record('O', original); !s) return s;
  if (dsn.notify != 0)
    if (auto s = record('N', format_notify(dsn.notify)); !s) return s;
  if (!dsn.orcpt.empty())
    if (auto s = record('P', dsn.orcpt); !s) return s;
  return record('R', address);
}

Status Writer::begin_content() {
  if (auto s = record('M', ""); !s) return s;
  in_content_ = true;
  return {};
}

Status Writer::append(std::string_view bytes) {
  if (!in_content_) return Error{"queue file " + id_ + ": content before begin_content"};
  content_size_ += bytes.size();
  if (buf_.size() + bytes.size() < kFlushAt) {
    buf_ += bytes;
    return {};
  }
  if (auto s = flush(); !s) return s;
  if (bytes.size() >= kFlushAt) return file::write_all(fd_.get(), bytes);
  buf_ += bytes;
  return {};
}

Status Writer::commit() {
  if (auto s = publish(); !s) return s;
  return sync();
}

Status Writer::finish() {
  if (!in_content_) return Error{"queue file " + id_ + ": commit before content"};
  if (finished_) return {};
  char end[kEndRecordSize + 1];
  std::snprintf(end, sizeof end, "E20:%020llu\n", content_size_);
  buf_.append(end, kEndRecordSize);
  if (auto s = flush(); !s) return s;
  finished_ = true;
  return {};
}

Status Writer::publish() {
  if (auto s = finish(); !s) return s;
  std::string to = path(queue_dir_, into_, id_);
  // RENAME_NOREPLACE: never overwrite another message with the same ID.
  if (::renameat2(AT_FDCWD, file_.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) < 0)
    return sys_error("rename " + file_);
  committed_ = true;  // the name is incoming/ID now: nothing to remove from tmp/
  return {};
}

Status Writer::sync() {
  if (::fsync(fd_.get()) < 0) return sys_error("fsync queue file " + id_);
  return {};
}

Status Writer::commit_replacing(std::string_view dir) {
  if (!in_content_) return Error{"queue file " + id_ + ": commit before content"};
  char end[kEndRecordSize + 1];
  std::snprintf(end, sizeof end, "E20:%020llu\n", content_size_);
  buf_.append(end, kEndRecordSize);
  if (auto s = flush(); !s) return s;
  if (::fsync(fd_.get()) < 0) return sys_error("fsync queue file " + id_);
  std::string to = path(queue_dir_, dir, id_);
  if (::rename(file_.c_str(), to.c_str()) < 0) return sys_error("rename " + file_);
  committed_ = true;
  return file::fsync_dir(queue_dir_ + "/" + std::string(dir));
}

// ---- Reader

Result<Envelope> read_envelope(int fd, std::string_view id) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return sys_error("fstat queue file " + std::string(id));
  if (st.st_size < static_cast<off_t>(kEndRecordSize)) return corrupt(id, "too short");
  char end[kEndRecordSize];
  off_t end_at = st.st_size - static_cast<off_t>(kEndRecordSize);
  if (::pread(fd, end, kEndRecordSize, end_at) != static_cast<ssize_t>(kEndRecordSize))
    return corrupt(id, "cannot read end record");
  std::string_view e(end, kEndRecordSize);
  if (e.substr(0, 4) != "E20:" || e.back() != '\n') return corrupt(id, "no end record");
  auto size = str::to_uint(e.substr(4, 18));
  auto low = str::to_uint(e.substr(22, 2));
  if (!size || !low || e.substr(4, 2) != "00") return corrupt(id, "bad end record");
  Envelope env;
  env.id = std::string(id);
  env.content_size = *size * 100 + *low;

  RecordReader in(fd, end_at);
  char type;
  std::string data, why, original;
  RecipientDsn dsn;
  bool seen_version = false, seen_sender = false;
  for (;;) {
    if (!in.next(type, data, why)) return corrupt(id, why);
    if (!seen_version) {
      if (type != 'V' || data != "1") return corrupt(id, "unsupported version");
      seen_version = true;
      continue;
    }
    switch (type) {
      case 'I':
        // The file of another message under this name: a spare's old
        // content, when a crash of an ext4 without a journal wrote the new
        // name to disk but not the file. Never delivered again.
        if (data != id) return corrupt(id, "holds message " + str::sanitize(data));
        break;
      case 'T': {
        auto dot = data.find('.');
        auto sec = str::to_uint(data.substr(0, dot));
        auto usec = dot == std::string::npos ? std::optional<unsigned long long>(0) : str::to_uint(data.substr(dot + 1));
        if (!sec || !usec || *usec > 999999) return corrupt(id, "bad arrival time");
        env.arrival_sec = static_cast<long long>(*sec);
        env.arrival_usec = static_cast<long>(*usec);
        break;
      }
      case 'S':
        if (seen_sender) return corrupt(id, "two sender records");
        env.sender = data;
        seen_sender = true;
        break;
      case 'A': {
        auto eq = data.find('=');
        if (eq == std::string::npos || eq == 0) return corrupt(id, "bad attribute record");
        env.attrs.emplace_back(data.substr(0, eq), data.substr(eq + 1));
        break;
      }
      case 'O':
        original = data;
        break;
      case 'N': {
        auto notify = parse_notify(data);
        if (!notify) return corrupt(id, "bad notify record");
        dsn.notify = *notify;
        break;
      }
      case 'P':
        dsn.orcpt = data;
        break;
      case 'R':
      case 'X':
        if (env.recipients.size() >= kRecipientsMax) return corrupt(id, "too many recipients");
        env.recipients.push_back({data, std::move(original), std::move(dsn),
                                  in.pos() - static_cast<off_t>(data.size() + 3 + std::to_string(data.size()).size()),
                                  type == 'X'});
        original.clear();
        dsn = {};
        break;
      case 'M':
        if (!data.empty()) return corrupt(id, "bad content record");
        if (!seen_sender) return corrupt(id, "no sender record");
        if (env.recipients.empty()) return corrupt(id, "no recipients");
        env.content_offset = in.pos();
        if (static_cast<unsigned long long>(end_at - env.content_offset) != env.content_size)
          return corrupt(id, "content size mismatch");
        return env;
      default:
        return corrupt(id, std::string("unknown record type '") + str::sanitize(std::string(1, type)) + "'");
    }
  }
}

Status mark_done(int fd, off_t offset) {
  char t;
  if (::pread(fd, &t, 1, offset) != 1) return sys_error("read recipient record");
  if (t != 'R' && t != 'X') return Error{"mark_done: offset does not point at a recipient record"};
  if (::pwrite(fd, "X", 1, offset) != 1) return sys_error("mark recipient done");
  if (::fdatasync(fd) < 0) return sys_error("fdatasync");
  return {};
}

Status trigger_qmgr(const std::string& queue_dir, char what) {
  auto fd = attr::connect_unix(queue_dir + "/public/qmgr", /*nonblocking=*/true);
  if (!fd) return fd.error();
  if (::send(fd->get(), &what, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) return sys_error("write " + queue_dir + "/public/qmgr");
  return {};
}

}  // namespace buzon::queue
