// qmgr's side of the queue journal (qmgr/journal_keeper.h): segments of
// this boot are retired, segments of another boot restore the queue files
// their records hold, segments someone holds are left alone. The segments
// are built by hand, as JournalWriter lays them out.
#include "qmgr/journal_keeper.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "lib/queue/journal.h"
#include "lib/queue/queue.h"
#include "t/lib/queue/temp_queue.h"

using namespace buzon;
using qmgr::sweep_journal;

namespace {

queue::BootId boot_of(std::string_view text) {
  queue::BootId b{};
  std::memcpy(b.data(), text.data(), std::min(text.size(), b.size()));
  return b;
}

// The running kernel's, as far as these tests go, and the one before it.
const queue::BootId kThisBoot = boot_of("0c6a3f52-1d7e-4b8a-9f30-5e2d1c4b7a69");
const queue::BootId kLastBoot = boot_of("8b41e0d7-6c2f-4a95-b3e8-71d0f9a2c5e4");

struct Record {
  std::string id;
  std::string content;
  bool torn = false;  // a content byte flipped after its CRC was taken
};

struct Queue : test::TempQueue {
  // journal/NAME holding records, written under boot; returns its path.
  std::string segment(const queue::BootId& boot, const std::vector<Record>& records) const {
    const uint64_t serial = 0x5e91a1d00d5eedULL;
    std::string bytes = queue::encode_segment_header(serial, boot);
    for (const Record& r : records) {
      std::string content = r.content;
      bytes += queue::encode_record_header(serial, r.id, content.size(), queue::crc32_of(content));
      if (r.torn) content[content.size() / 2] ^= 0x01;
      bytes += content;
    }
    return write(std::string(queue::kJournalDir) + "/" + queue::new_id(), bytes);
  }
  bool has(const std::string& sub, const std::string& id) const {
    return ::access(queue::path(dir, sub, id).c_str(), F_OK) == 0;
  }
  // Entries of sub, dot files excepted.
  size_t count(const std::string& sub) const {
    size_t n = 0;
    DIR* d = ::opendir((dir + "/" + sub).c_str());
    REQUIRE(d != nullptr);
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
    return n;
  }
};

bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

// A complete queue file as smtpd commits it: its ID and bytes. The file
// itself is not left in the queue; each test puts what it needs there.
struct Message {
  std::string id;
  std::string bytes;
};

Message message(const Queue& q, const std::vector<std::pair<std::string, std::string>>& attrs = {}) {
  auto w = queue::Writer::create(q.dir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.test"));
  for (const auto& [k, v] : attrs) REQUIRE(w->attr(k, v));
  REQUIRE(w->recipient("bob@example.test"));
  REQUIRE(w->recipient("carol@example.test"));
  REQUIRE(w->begin_content());
  REQUIRE(w->append("Subject: journal " + w->id() + "\n\nbody line\n"));
  REQUIRE(w->commit());
  Message m{w->id(), q.read("incoming/" + w->id())};
  REQUIRE_FALSE(m.bytes.empty());
  REQUIRE(::unlink(queue::path(q.dir, "incoming", m.id).c_str()) == 0);
  return m;
}

// m's bytes with its first recipient marked done, as qmgr's mark_done
// leaves them.
std::string first_recipient_done(const Queue& q, const Message& m) {
  std::string p = q.write("tmp/" + m.id, m.bytes);
  Fd fd(::open(p.c_str(), O_RDWR | O_CLOEXEC));
  REQUIRE(fd);
  auto env = queue::read_envelope(fd.get(), m.id);
  REQUIRE(env);
  REQUIRE(env->recipients.size() == 2);
  REQUIRE(m.bytes[static_cast<size_t>(env->recipients[0].offset)] == 'R');
  REQUIRE(queue::mark_done(fd.get(), env->recipients[0].offset));
  std::string done = q.read("tmp/" + m.id);
  REQUIRE(::unlink(p.c_str()) == 0);
  REQUIRE(done != m.bytes);
  return done;
}

}  // namespace

TEST_CASE("journal keeper: a segment of this boot is removed, the queue files left as they are", "[qmgr][journal]") {
  Queue q;
  Message live = message(q), changed = message(q), gone = message(q);
  q.write("active/" + live.id, live.bytes);
  // Rewritten by qmgr since: of this boot, the file is the truth, not the record.
  const std::string rewritten = changed.bytes + "not what the record says";
  q.write("deferred/" + changed.id, rewritten);
  std::string seg = q.segment(kThisBoot, {{live.id, live.bytes}, {changed.id, changed.bytes}, {gone.id, gone.bytes}});

  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.retired == 1);
  CHECK(res.restored == 0);
  CHECK_FALSE(exists(seg));
  CHECK(q.read("active/" + live.id) == live.bytes);
  CHECK(q.read("deferred/" + changed.id) == rewritten);
  for (const char* d : {"incoming", "active", "deferred", "hold"}) CHECK_FALSE(q.has(d, gone.id));  // delivered
  CHECK(q.count("tmp") == 0);
}

TEST_CASE("journal keeper: a segment of this boot with more than kFsyncEachMax live files is removed too",
          "[qmgr][journal]") {
  Queue q;
  std::vector<Record> records;
  for (size_t i = 0; i < qmgr::kFsyncEachMax + 1; ++i) {
    Message m = message(q);
    q.write("incoming/" + m.id, m.bytes);
    records.push_back({m.id, m.bytes});
  }
  std::string seg = q.segment(kThisBoot, records);
  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.retired == 1);
  CHECK(res.restored == 0);
  CHECK_FALSE(exists(seg));
  for (const Record& r : records) CHECK(q.read("incoming/" + r.id) == r.content);
}

TEST_CASE("journal keeper: a segment someone holds is left alone until released", "[qmgr][journal]") {
  Queue q;
  Message m = message(q);
  std::string seg = q.segment(kLastBoot, {{m.id, m.bytes}});
  {
    Fd held(::open(seg.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(held);
    REQUIRE(::flock(held.get(), LOCK_EX | LOCK_NB) == 0);
    auto res = sweep_journal(q.dir, kThisBoot);
    CHECK(res.retired == 0);
    CHECK(res.restored == 0);
    CHECK(exists(seg));
    CHECK_FALSE(q.has("incoming", m.id));
  }
  // Released (the writer died, or sealed it): now it is recovered.
  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.retired == 1);
  CHECK(res.restored == 1);
  CHECK_FALSE(exists(seg));
  CHECK(q.read("incoming/" + m.id) == m.bytes);
}

TEST_CASE("journal keeper: a segment of another boot restores the queue files that are missing or damaged",
          "[qmgr][journal]") {
  Queue q;
  Message missing = message(q), empty = message(q), damaged = message(q), marked = message(q), whole = message(q),
          expanded = message(q);
  // missing: lost in the crash, its name never reached the disk.
  // empty: its name did, its data did not.
  q.write("active/" + empty.id, "");
  // Another message's blocks: same size, one byte off in the body.
  std::string other = damaged.bytes;
  other[other.size() - queue::kEndRecordSize - 3] ^= 0x01;
  q.write("hold/" + damaged.id, other);
  // Delivered to bob before the crash: R -> X is all that differs.
  const std::string done = first_recipient_done(q, marked);
  q.write("deferred/" + marked.id, done);
  q.write("incoming/" + whole.id, whole.bytes);
  // qmgr's virtual alias expansion wrote the file anew (and fsync'ed it).
  Message rewrite = message(q, {{"virtual_alias_expanded", "yes"}});
  q.write("active/" + expanded.id, rewrite.bytes);
  std::string seg = q.segment(kLastBoot, {{missing.id, missing.bytes},
                                          {empty.id, empty.bytes},
                                          {damaged.id, damaged.bytes},
                                          {marked.id, marked.bytes},
                                          {whole.id, whole.bytes},
                                          {expanded.id, expanded.bytes}});

  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.retired == 1);
  CHECK(res.restored == 3);
  CHECK_FALSE(exists(seg));
  CHECK(q.read("incoming/" + missing.id) == missing.bytes);
  CHECK(q.read("active/" + empty.id) == empty.bytes);  // replaced where it was
  CHECK_FALSE(q.has("incoming", empty.id));
  CHECK(q.read("hold/" + damaged.id) == damaged.bytes);
  CHECK_FALSE(q.has("incoming", damaged.id));
  CHECK(q.read("deferred/" + marked.id) == done);  // bob is not delivered to again
  CHECK_FALSE(q.has("incoming", marked.id));
  CHECK(q.read("incoming/" + whole.id) == whole.bytes);
  CHECK(q.read("active/" + expanded.id) == rewrite.bytes);
  CHECK(q.count("tmp") == 0);
  struct stat st{};
  REQUIRE(::stat(queue::path(q.dir, "incoming", missing.id).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("journal keeper: a file differing from its record by more than R -> X is replaced", "[qmgr][journal]") {
  Queue q;
  Message m = message(q);
  std::string file = first_recipient_done(q, m);
  SECTION("X -> R: a recipient the record has done is not pending in the file") {
    // The record is the file with bob done, the file has him pending.
    std::swap(file, m.bytes);
  }
  SECTION("one byte longer") { file = m.bytes + "\n"; }
  SECTION("R -> X in the body, where no recipient's type byte is") {
    file = m.bytes;
    size_t body = file.find("body line");
    REQUIRE(body != std::string::npos);
    m.bytes[body] = 'R';
    file[body] = 'X';
  }
  q.write("active/" + m.id, file);
  std::string seg = q.segment(kLastBoot, {{m.id, m.bytes}});
  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.restored == 1);
  CHECK(res.retired == 1);
  CHECK(q.read("active/" + m.id) == m.bytes);
}

TEST_CASE("journal keeper: a torn record ends the recovery of its segment", "[qmgr][journal]") {
  Queue q;
  Message before = message(q), torn = message(q), after = message(q), after_damaged = message(q);
  q.write("incoming/" + after_damaged.id, "");
  std::string seg = q.segment(kLastBoot, {{before.id, before.bytes},
                                          {torn.id, torn.bytes, true},
                                          {after.id, after.bytes},
                                          {after_damaged.id, after_damaged.bytes}});
  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.restored == 1);
  CHECK(res.retired == 1);
  CHECK_FALSE(exists(seg));
  CHECK(q.read("incoming/" + before.id) == before.bytes);
  // Never acknowledged: nothing of them comes back, nothing is overwritten.
  for (const char* d : {"incoming", "active", "deferred", "hold"}) {
    CHECK_FALSE(q.has(d, torn.id));
    CHECK_FALSE(q.has(d, after.id));
  }
  CHECK(q.read("incoming/" + after_damaged.id).empty());
  CHECK(q.count("tmp") == 0);
}

TEST_CASE("journal keeper: a segment without a valid header is removed, other files are not", "[qmgr][journal]") {
  Queue q;
  Message m = message(q);
  const std::string journal = q.dir + "/" + queue::kJournalDir;
  // Killed before its header was written, or before the first record.
  std::string empty = q.write(std::string(queue::kJournalDir) + "/" + queue::new_id(), "");
  // A damaged header: the records behind it are not trusted.
  std::string bad = queue::encode_segment_header(1, kLastBoot);
  bad[20] ^= 0x01;
  bad += queue::encode_record_header(1, m.id, m.bytes.size(), queue::crc32_of(m.bytes)) + m.bytes;
  std::string damaged = q.write(std::string(queue::kJournalDir) + "/" + queue::new_id(), bad);
  // Not a segment's name: not ours to remove.
  std::string notes = q.write(std::string(queue::kJournalDir) + "/notes", "keep me");

  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.retired == 2);
  CHECK(res.restored == 0);
  CHECK_FALSE(exists(empty));
  CHECK_FALSE(exists(damaged));
  CHECK(exists(notes));
  CHECK_FALSE(q.has("incoming", m.id));
}

TEST_CASE("journal keeper: no journal directory, no work", "[qmgr][journal]") {
  Queue q;
  REQUIRE(::rmdir((q.dir + "/" + queue::kJournalDir).c_str()) == 0);
  auto res = sweep_journal(q.dir, kThisBoot);
  CHECK(res.retired == 0);
  CHECK(res.restored == 0);
}
