// hash:/path - a Berkeley DB hash file "/path.db" built from the text file
// "/path" (postmap(1) syntax, or aliases(5) for newaliases). Keys are stored
// without a terminating null; lookups also try with one, so databases built
// by Postfix's postmap -N / postalias read the same.
//
// Build: written to "/path.db.tmp.PID", fsync'ed, renamed over /path.db and
// the directory fsync'ed, so readers see the old or the new table, never a
// half-built one, even after a crash. A reader keeps its handle on the old
// inode until its next lookup notices the new file.
#include <db.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/log/log.h"
#include "lib/map/source.h"
#include "lib/map/types.h"

namespace buzon::map::detail {
namespace {

struct DbClose {
  void operator()(DB* db) const noexcept { db->close(db, 0); }
};
using DbPtr = std::unique_ptr<DB, DbClose>;
struct CursorClose {
  void operator()(DBC* c) const noexcept { c->close(c); }
};

// Error text comes back through return codes; keep libdb off stderr.
void quiet(const DB_ENV*, const char*, const char*) {}

Result<DbPtr> db_open(const std::string& path, u_int32_t flags, int mode) {
  DB* raw = nullptr;
  if (int rc = db_create(&raw, nullptr, 0); rc != 0) return Error{"db_create: " + std::string(db_strerror(rc))};
  DbPtr db(raw);
  db->set_errcall(raw, quiet);
  if (int rc = raw->open(raw, nullptr, path.c_str(), nullptr, DB_HASH, flags, mode); rc != 0) {
    // A failed open still needs close() (DbPtr does it).
    return Error{"open database " + path + ": " + std::string(db_strerror(rc)), rc > 0 ? rc : 0};
  }
  return db;
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  struct timespec mtime {};
  bool operator==(const FileId& o) const {
    return dev == o.dev && ino == o.ino && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};
FileId id_of(const struct stat& st) { return FileId{st.st_dev, st.st_ino, st.st_mtim}; }

class HashTable final : public Table {
 public:
  HashTable(const std::string& spec, std::string path, bool fold, DbPtr db, const struct stat& st)
      : path_(std::move(path)), db_(std::move(db)), id_(id_of(st)) {
    spec_ = spec;
    fold_case_ = fold;
    owner_uid_ = st.st_uid;
    owner_gid_ = st.st_gid;
  }

  Result<std::optional<std::string>> lookup(std::string_view key) override {
    if (key.size() > kKeyMax) return std::optional<std::string>();
    reopen_if_changed();
    std::string k = stored_key(key);
    auto v = get(k, false);
    if (!v || *v) return v;
    return get(k, true);
  }

  Status for_each(const Visitor& visit) override {
    reopen_if_changed();
    DBC* raw = nullptr;
    if (int rc = db_->cursor(db_.get(), nullptr, &raw, 0); rc != 0) return Error{spec_ + ": cursor: " + db_strerror(rc)};
    std::unique_ptr<DBC, CursorClose> cursor(raw);
    for (;;) {
      DBT dk, dv;
      std::memset(&dk, 0, sizeof dk);
      std::memset(&dv, 0, sizeof dv);
      int rc = cursor->get(cursor.get(), &dk, &dv, DB_NEXT);
      if (rc == DB_NOTFOUND) return {};
      if (rc != 0) return Error{spec_ + ": read failed: " + db_strerror(rc)};
      std::string_view key(static_cast<const char*>(dk.data), dk.size);
      std::string_view value(static_cast<const char*>(dv.data), dv.size);
      // Tables built by Postfix (postmap -N) hold the terminating nulls.
      if (!key.empty() && key.back() == '\0') key.remove_suffix(1);
      if (!value.empty() && value.back() == '\0') value.remove_suffix(1);
      if (!visit(key, value)) return {};
    }
  }

 private:
  Result<std::optional<std::string>> get(std::string& k, bool with_null) {
    DBT dk, dv;
    std::memset(&dk, 0, sizeof dk);
    std::memset(&dv, 0, sizeof dv);
    dk.data = k.data();
    dk.size = static_cast<u_int32_t>(k.size() + (with_null ? 1 : 0));  // k.c_str() has the null
    int rc = db_->get(db_.get(), nullptr, &dk, &dv, 0);
    if (rc == DB_NOTFOUND) return std::optional<std::string>();
    if (rc != 0) return Error{spec_ + ": lookup failed: " + db_strerror(rc)};
    std::string value(static_cast<const char*>(dv.data), dv.size);
    if (!value.empty() && value.back() == '\0') value.pop_back();
    return std::optional<std::string>(std::move(value));
  }

  void reopen_if_changed() {
    struct stat st;
    if (::stat(path_.c_str(), &st) < 0 || id_of(st) == id_) return;
    auto db = db_open(path_, DB_RDONLY, 0);
    if (!db) {
      log::warning(spec_ + ": table changed but cannot be reopened, using the old one: " + db.error().message);
      id_ = id_of(st);  // one warning per change, not one per lookup
      return;
    }
    db_ = std::move(*db);
    id_ = id_of(st);
    owner_uid_ = st.st_uid;
    owner_gid_ = st.st_gid;
  }

  std::string path_;
  DbPtr db_;
  FileId id_;
};

}  // namespace

Result<std::unique_ptr<Table>> open_hash(const std::string& spec, const std::string& name, const OpenOptions& opts) {
  std::string path = name + ".db";
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return sys_error("open database " + path);
  auto db = db_open(path, DB_RDONLY, 0);
  if (!db) return db.error();
  return std::unique_ptr<Table>(new HashTable(spec, path, opts.fold_case, std::move(*db), st));
}

Status build_hash(const std::string& name, Syntax syntax, bool fold_case, void (*warn)(const std::string&)) {
  struct stat src_st;
  if (::stat(name.c_str(), &src_st) < 0) return sys_error("open " + name);
  auto src = read_source(name, syntax, fold_case);
  if (!src) return src.error();
  if (warn)
    for (const std::string& w : src->warnings) warn(w);

  std::string path = name + ".db";
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover of a crashed build by a process with our pid
  struct Unlink {
    std::string path;
    bool armed = true;
    ~Unlink() { if (armed) ::unlink(path.c_str()); }
  } cleanup{tmp};

  // The table is no more readable than its source.
  mode_t mode = src_st.st_mode & 0666;
  {
    auto db = db_open(tmp, DB_CREATE | DB_EXCL, mode);
    if (!db) return db.error();
    for (Entry& e : src->entries) {
      DBT dk, dv;
      std::memset(&dk, 0, sizeof dk);
      std::memset(&dv, 0, sizeof dv);
      dk.data = e.key.data();
      dk.size = static_cast<u_int32_t>(e.key.size());
      dv.data = e.value.data();
      dv.size = static_cast<u_int32_t>(e.value.size());
      if (int rc = (*db)->put(db->get(), nullptr, &dk, &dv, DB_NOOVERWRITE); rc != 0)
        return Error{"write " + tmp + ": " + db_strerror(rc)};
    }
    DB* raw = db->release();
    if (int rc = raw->close(raw, 0); rc != 0) return Error{"close " + tmp + ": " + db_strerror(rc)};
  }
  Fd fd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return sys_error("open " + tmp);
  if (::fchmod(fd.get(), mode) < 0) return sys_error("chmod " + tmp);
  // Run by root, the table belongs to the owner of its source, as with
  // postmap: local(8) runs alias commands with the rights of that owner.
  if (::geteuid() == 0 && ::fchown(fd.get(), src_st.st_uid, src_st.st_gid) < 0) return sys_error("chown " + tmp);
  if (::fsync(fd.get()) < 0) return sys_error("fsync " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) < 0) return sys_error("rename " + tmp + " to " + path);
  cleanup.armed = false;
  return file::fsync_dir(file::dirname(path));
}

}  // namespace buzon::map::detail
