// The queue journal (lib/queue/journal.h): the segment format read back
// from hand-built segments, JournalWriter's group commit and its segment
// locks, and Committer committing through the journal.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/event/event.h"
#include "lib/queue/committer.h"
#include "lib/queue/journal.h"
#include "lib/queue/journal_writer.h"
#include "t/lib/queue/temp_queue.h"

using namespace buzon;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

queue::BootId boot_of(std::string_view text) {
  queue::BootId b{};
  std::memcpy(b.data(), text.data(), std::min(text.size(), b.size()));
  return b;
}

const queue::BootId kBoot = boot_of("6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");

// A record as JournalWriter writes it: header, then the content.
std::string record(uint64_t serial, const std::string& id, const std::string& content) {
  return queue::encode_record_header(serial, id, content.size(), queue::crc32_of(content)) + content;
}

// Bytes that differ at every offset from their neighbours, NULs included:
// a misplaced offset or a short read shows.
std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 251) & 0xff);
  return s;
}

Fd open_file(const std::string& p, int flags = O_RDONLY) {
  Fd fd(::open(p.c_str(), flags | O_CLOEXEC));
  REQUIRE(fd);
  return fd;
}

// The segments in dir/journal, oldest first (their names are queue IDs).
std::vector<std::string> segments(const std::string& qdir) {
  std::vector<std::string> out;
  DIR* d = ::opendir((qdir + "/" + queue::kJournalDir).c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') out.push_back(qdir + "/" + queue::kJournalDir + "/" + e->d_name);
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Someone (a JournalWriter) holds the flock of the file at p.
bool locked(const std::string& p) {
  Fd fd = open_file(p);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return false;
  REQUIRE(errno == EWOULDBLOCK);
  return true;
}

// Runs the loop until pred() holds, looking every 10 ms, for at most limit.
bool run_until(event::Loop& loop, const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
  auto end = Clock::now() + limit;
  event::Event* self = nullptr;
  event::Event poll(loop, -1, 0, [&](short) {
    if (pred() || Clock::now() >= end) return loop.stop();
    self->add(10ms);
  });
  self = &poll;
  if (!pred()) {
    poll.add(10ms);
    loop.run();
  }
  return pred();
}

// A committed queue file in incoming/, open for reading and writing as
// smtpd holds it after Writer::publish().
struct Published {
  std::string id;
  Fd fd;
};

Published publish_message(const test::TempQueue& q, const std::string& body) {
  queue::Writer w = test::complete_writer(q, body);
  REQUIRE(w.publish());
  return {w.id(), w.release_fd()};
}

// A file of exactly size bytes in incoming/ (not a queue file: the journal
// copies bytes, it does not parse them).
Published raw_file(const test::TempQueue& q, size_t size) {
  std::string id = queue::new_id();
  q.write("incoming/" + id, pattern(size, 3));
  return {id, open_file(queue::path(q.dir, "incoming", id), O_RDWR)};
}

// Every record of the segment at p with its content, which must check out.
std::vector<std::pair<std::string, std::string>> read_back(const std::string& p) {
  Fd fd = open_file(p);
  auto seg = queue::read_segment(fd.get());
  REQUIRE(seg);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : seg->records) {
    auto content = queue::read_content(fd.get(), r);
    INFO(r.id);
    REQUIRE(content);
    out.emplace_back(r.id, *content);
  }
  return out;
}

}  // namespace

TEST_CASE("journal: a segment's records read back in order, content included", "[queue][journal]") {
  test::TempDir d;
  const uint64_t serial = 0x0123456789abcdefULL;
  const std::vector<std::string> ids = {queue::new_id(), queue::new_id(), queue::new_id()};
  const std::vector<std::string> contents = {pattern(1, 1), pattern(300, 2), pattern(70000, 3)};
  std::string bytes = queue::encode_segment_header(serial, kBoot);
  REQUIRE(bytes.size() == queue::kSegmentHeaderSize);
  for (size_t i = 0; i < ids.size(); ++i) bytes += record(serial, ids[i], contents[i]);
  Fd fd = open_file(d.write("seg", bytes));

  auto seg = queue::read_segment(fd.get());
  REQUIRE(seg);
  CHECK(seg->serial == serial);
  CHECK(seg->boot == kBoot);
  REQUIRE(seg->records.size() == 3);
  uint64_t at = queue::kSegmentHeaderSize;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& r = seg->records[i];
    INFO("record " << i);
    CHECK(r.id == ids[i]);
    CHECK(r.offset == at + queue::kRecordHeaderSize);
    CHECK(r.length == contents[i].size());
    CHECK(r.crc == queue::crc32_of(contents[i]));
    auto content = queue::read_content(fd.get(), r);
    REQUIRE(content);
    CHECK(*content == contents[i]);
    at = r.offset + r.length;
  }
  CHECK(at == bytes.size());
}

TEST_CASE("journal: a flipped content byte fails that record's content, not the others", "[queue][journal]") {
  test::TempDir d;
  const uint64_t serial = 42;
  const std::vector<std::string> ids = {queue::new_id(), queue::new_id(), queue::new_id()};
  std::string bytes = queue::encode_segment_header(serial, kBoot);
  size_t second_content = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i == 1) second_content = bytes.size() + queue::kRecordHeaderSize;
    bytes += record(serial, ids[i], pattern(500, static_cast<unsigned>(i)));
  }
  bytes[second_content + 250] ^= 0x01;
  Fd fd = open_file(d.write("seg", bytes));

  auto seg = queue::read_segment(fd.get());
  REQUIRE(seg);
  REQUIRE(seg->records.size() == 3);  // the headers are whole: read_segment does not read content
  CHECK(queue::read_content(fd.get(), seg->records[0]));
  auto torn = queue::read_content(fd.get(), seg->records[1]);
  REQUIRE_FALSE(torn);
  CHECK(torn.error().sys_errno == 0);
  CHECK(torn.error().message.find(ids[1]) != std::string::npos);
  CHECK(queue::read_content(fd.get(), seg->records[2]));
}

TEST_CASE("journal: the first record that does not check out ends the segment", "[queue][journal]") {
  test::TempDir d;
  const uint64_t serial = 0xfeedfacecafebeefULL;
  const std::string a = queue::new_id(), b = queue::new_id(), c = queue::new_id(), next = queue::new_id();
  std::string bytes = queue::encode_segment_header(serial, kBoot) + record(serial, a, pattern(100, 1)) +
                      record(serial, b, pattern(200, 2));
  // Read if the bad record were skipped: by its length, or header by
  // header (the bad record's content is a whole number of headers long).
  const std::string good_after = record(serial, next, pattern(50, 4));
  const std::string content = pattern(4 * queue::kRecordHeaderSize, 3);

  SECTION("a damaged record header") {
    std::string r = record(serial, c, content);
    r[30] ^= 0x20;  // in the queue ID: the header's CRC no longer matches
    bytes += r + good_after;
  }
  SECTION("a record of another segment (its serial)") {
    bytes += record(serial + 1, c, content) + good_after;
  }
  SECTION("a record whose queue ID is not one") {
    bytes += record(serial, "../../etc/passwd0", content) + good_after;
  }
  SECTION("a record with a lower-case queue ID") {
    bytes += record(serial, "6752a1b20a1b2c3d4", content) + good_after;
  }
  SECTION("a record whose length runs past the end of the file") {
    bytes += queue::encode_record_header(serial, c, content.size() + 1, queue::crc32_of(content)) + content;
  }
  SECTION("a record header cut short by the end of the file") {
    bytes += record(serial, c, content).substr(0, queue::kRecordHeaderSize - 1);
  }
  SECTION("zeros after the last record (fallocated space)") {
    bytes += std::string(4096, '\0');
  }
  Fd fd = open_file(d.write("seg", bytes));
  auto seg = queue::read_segment(fd.get());
  REQUIRE(seg);
  REQUIRE(seg->records.size() == 2);
  CHECK(seg->records[0].id == a);
  CHECK(seg->records[1].id == b);
  CHECK(queue::read_content(fd.get(), seg->records[1]).value() == pattern(200, 2));
}

TEST_CASE("journal: a record of kRecordContentMax bytes is read, a header claiming one more ends the segment",
          "[queue][journal][limits]") {
  test::TempDir d;
  const uint64_t serial = 7;
  const std::string at_limit = pattern(queue::kRecordContentMax, 5);
  const std::string over = pattern(queue::kRecordContentMax + 1, 6);
  const std::string a = queue::new_id(), b = queue::new_id(), c = queue::new_id();
  std::string bytes = queue::encode_segment_header(serial, kBoot) + record(serial, a, at_limit) +
                      record(serial, b, over) + record(serial, c, "after\n");
  Fd fd = open_file(d.write("seg", bytes));
  auto seg = queue::read_segment(fd.get());
  REQUIRE(seg);
  REQUIRE(seg->records.size() == 1);
  CHECK(seg->records[0].id == a);
  CHECK(seg->records[0].length == queue::kRecordContentMax);
  CHECK(queue::read_content(fd.get(), seg->records[0]).value() == at_limit);
}

TEST_CASE("journal: a missing or damaged segment header is an error, not a system error", "[queue][journal]") {
  test::TempDir d;
  const uint64_t serial = 99;
  std::string head = queue::encode_segment_header(serial, kBoot);
  const std::string records = record(serial, queue::new_id(), "x\n");
  // Rewrites the header's CRC (bytes 60-63, little-endian) after an edit,
  // so that only the edit is wrong.
  auto reseal = [](std::string& h) {
    uint32_t crc = queue::crc32_of(std::string_view(h).substr(0, 60));
    for (int i = 0; i < 4; ++i) h[60 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  };
  std::string bytes;
  SECTION("an empty file") {}
  SECTION("a header cut short") { bytes = head.substr(0, queue::kSegmentHeaderSize - 1); }
  SECTION("a flipped bit in the boot ID") {
    head[20] ^= 0x04;
    bytes = head + records;
  }
  SECTION("a flipped bit in the CRC") {
    head[61] ^= 0x80;
    bytes = head + records;
  }
  SECTION("another magic, CRC right") {
    head[3] = 'X';
    reseal(head);
    bytes = head + records;
  }
  SECTION("version 2, CRC right") {
    head[4] = 2;
    reseal(head);
    bytes = head + records;
  }
  SECTION("a record header where the segment header should be") { bytes = records; }
  Fd fd = open_file(d.write("seg", bytes));
  auto seg = queue::read_segment(fd.get());
  REQUIRE_FALSE(seg);
  CHECK(seg.error().sys_errno == 0);
}

TEST_CASE("journal: a segment that cannot be read is a system error", "[queue][journal]") {
  test::TempDir d;
  Fd dir = open_file(d.path);  // fstat works, pread fails with EISDIR
  auto seg = queue::read_segment(dir.get());
  REQUIRE_FALSE(seg);
  CHECK(seg.error().sys_errno == EISDIR);
}

TEST_CASE("journal writer: group-committed queue files read back from the segment, which is released once sealed",
          "[queue][journal][writer]") {
  test::TempQueue q;
  event::Loop loop;
  constexpr size_t kFiles = 5;
  std::vector<std::string> ids;
  std::vector<int> calls(kFiles, 0);
  std::vector<int> errs(kFiles, -1);
  queue::JournalWriter writer(loop, q.dir);
  auto first_append = Clock::now();
  for (size_t i = 0; i < kFiles; ++i) {
    Published p = publish_message(q, "message " + std::to_string(i) + "\n" + pattern(i * 1000, unsigned(i)));
    ids.push_back(p.id);
    REQUIRE(writer.append(p.fd.get(), p.id, [&, i](int err) {
      ++calls[i];
      errs[i] = err;
    }));
    CHECK(calls[i] == 0);  // from the loop, never from inside append()
  }
  auto segs = segments(q.dir);
  REQUIRE(segs.size() == 1);
  CHECK(locked(segs[0]));

  REQUIRE(run_until(loop, [&] { return std::count(calls.begin(), calls.end(), 1) == long(kFiles); }));
  CHECK(errs == std::vector<int>(kFiles, 0));
  auto records = read_back(segs[0]);
  REQUIRE(records.size() == kFiles);
  for (size_t i = 0; i < kFiles; ++i) {
    INFO(ids[i]);
    CHECK(records[i].first == ids[i]);
    CHECK(records[i].second == q.read("incoming/" + ids[i]));
  }
  // The loop has not run since the last done: the age timer cannot have
  // sealed the segment, whatever the clock says.
  CHECK(locked(segs[0]));

  // Sealed kSegmentAge after its first record: the lock goes with it.
  Fd mine = open_file(segs[0]);
  REQUIRE(run_until(loop, [&] { return ::flock(mine.get(), LOCK_EX | LOCK_NB) == 0; }, queue::kSegmentAge + 2s));
  CHECK(Clock::now() - first_append >= queue::kSegmentAge);
  CHECK(calls == std::vector<int>(kFiles, 1));
  CHECK(segments(q.dir) == segs);  // the writer leaves it for qmgr
  CHECK(read_back(segs[0]).size() == kFiles);
}

TEST_CASE("journal writer: a file of kRecordContentMax bytes is journaled, one byte more is refused",
          "[queue][journal][writer][limits]") {
  test::TempQueue q;
  event::Loop loop;
  queue::JournalWriter writer(loop, q.dir);
  int at_limit_calls = 0, over_calls = 0, small_calls = 0;
  Published at_limit = raw_file(q, queue::kRecordContentMax);
  Published over = raw_file(q, queue::kRecordContentMax + 1);
  Published small = raw_file(q, 10);
  REQUIRE(writer.append(at_limit.fd.get(), at_limit.id, [&](int err) {
    CHECK(err == 0);
    ++at_limit_calls;
  }));
  auto refused = writer.append(over.fd.get(), over.id, [&](int) { ++over_calls; });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().sys_errno == 0);  // nothing wrong with the journal: the caller fsyncs quietly
  // A later record's done comes from a later (or the same) fdatasync: by
  // then a done for the refused file would have run too.
  REQUIRE(writer.append(small.fd.get(), small.id, [&](int err) {
    CHECK(err == 0);
    ++small_calls;
  }));
  REQUIRE(run_until(loop, [&] { return at_limit_calls + small_calls == 2; }));
  CHECK(at_limit_calls == 1);
  CHECK(small_calls == 1);
  CHECK(over_calls == 0);
  auto segs = segments(q.dir);
  REQUIRE(segs.size() == 1);
  auto records = read_back(segs[0]);
  REQUIRE(records.size() == 2);
  CHECK(records[0].first == at_limit.id);
  CHECK(records[0].second == q.read("incoming/" + at_limit.id));
  CHECK(records[1].first == small.id);
}

TEST_CASE("journal writer: a full segment is sealed and released without waiting for its age",
          "[queue][journal][writer]") {
  test::TempQueue q;
  event::Loop loop;
  queue::JournalWriter writer(loop, q.dir);
  // Three records of kRecordContentMax fit in kSegmentSize, a fourth does not.
  static_assert(queue::kSegmentHeaderSize + 3 * (queue::kRecordHeaderSize + queue::kRecordContentMax) <=
                queue::kSegmentSize);
  static_assert(queue::kSegmentHeaderSize + 4 * (queue::kRecordHeaderSize + queue::kRecordContentMax) >
                queue::kSegmentSize);
  std::vector<std::string> ids;
  int done = 0;
  for (int i = 0; i < 4; ++i) {
    Published p = raw_file(q, queue::kRecordContentMax);
    ids.push_back(p.id);
    REQUIRE(writer.append(p.fd.get(), p.id, [&](int err) {
      CHECK(err == 0);
      ++done;
    }));
  }
  auto segs = segments(q.dir);
  REQUIRE(segs.size() == 2);
  REQUIRE(run_until(loop, [&] { return done == 4; }));
  // Its last fdatasync is over: closed, long before kSegmentAge.
  CHECK_FALSE(locked(segs[0]));
  CHECK(locked(segs[1]));
  auto first = read_back(segs[0]);
  auto second = read_back(segs[1]);
  REQUIRE(first.size() == 3);
  REQUIRE(second.size() == 1);
  for (int i = 0; i < 3; ++i) CHECK(first[i].first == ids[i]);
  CHECK(second[0].first == ids[3]);
  CHECK(second[0].second == q.read("incoming/" + ids[3]));
}

TEST_CASE("journal writer: without journal/ append fails and never calls done", "[queue][journal][writer]") {
  test::TempQueue q;
  event::Loop loop;
  queue::JournalWriter writer(loop, q.dir);
  REQUIRE(::rmdir((q.dir + "/" + queue::kJournalDir).c_str()) == 0);
  int failed_calls = 0, later_calls = 0;
  Published lost = publish_message(q, "no journal\n");
  auto st = writer.append(lost.fd.get(), lost.id, [&](int) { ++failed_calls; });
  REQUIRE_FALSE(st);
  CHECK(st.error().sys_errno == ENOENT);
  // Back again: the next append opens a segment there.
  REQUIRE(file::make_dirs(q.dir + "/" + queue::kJournalDir, 0700));
  Published later = publish_message(q, "journal back\n");
  REQUIRE(writer.append(later.fd.get(), later.id, [&](int err) {
    CHECK(err == 0);
    ++later_calls;
  }));
  REQUIRE(run_until(loop, [&] { return later_calls == 1; }));
  CHECK(failed_calls == 0);
  auto segs = segments(q.dir);
  REQUIRE(segs.size() == 1);
  auto records = read_back(segs[0]);
  REQUIRE(records.size() == 1);
  CHECK(records[0].first == later.id);
}

TEST_CASE("committer: with a journal a commit ends in incoming/ and in a journal segment", "[queue][commit][journal]") {
  test::TempQueue q;
  event::Loop loop;
  queue::Committer committer(loop, {}, q.dir);
  queue::Writer w = test::complete_writer(q, "Subject: journaled\n\nbody\n");
  const std::string id = w.id();
  std::optional<Status> got;
  committer.commit(std::move(w), [&](Status s) { got = s; });
  CHECK_FALSE(got);  // from the loop, never from inside commit()
  REQUIRE(run_until(loop, [&] { return got.has_value(); }));
  CHECK(*got);
  const std::string file = q.read("incoming/" + id);
  Fd fd = open_file(queue::path(q.dir, "incoming", id));
  CHECK(queue::read_envelope(fd.get(), id));
  auto segs = segments(q.dir);
  REQUIRE(segs.size() == 1);
  auto records = read_back(segs[0]);
  REQUIRE(records.size() == 1);
  CHECK(records[0].first == id);
  CHECK(records[0].second == file);
}

TEST_CASE("committer: a commit the journal cannot take is fsync'ed instead", "[queue][commit][journal]") {
  test::TempQueue q;
  event::Loop loop;
  queue::Committer committer(loop, {}, q.dir);
  std::string body;
  bool journal_gone = false;
  SECTION("journal/ is gone") {
    REQUIRE(::rmdir((q.dir + "/" + queue::kJournalDir).c_str()) == 0);
    journal_gone = true;
    body = "Subject: no journal\n\nbody\n";
  }
  SECTION("the file is over kRecordContentMax") { body = std::string(queue::kRecordContentMax, 'x') + "\n"; }
  queue::Writer w = test::complete_writer(q, body);
  const std::string id = w.id();
  std::optional<Status> got;
  committer.commit(std::move(w), [&](Status s) { got = s; });
  CHECK_FALSE(got);
  REQUIRE(run_until(loop, [&] { return got.has_value(); }));
  CHECK(*got);
  Fd fd = open_file(queue::path(q.dir, "incoming", id));
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  CHECK(env->content_size == body.size());
  // Nothing was journaled: the file's own fsync made it durable.
  if (journal_gone)
    CHECK(::access((q.dir + "/" + queue::kJournalDir).c_str(), F_OK) != 0);
  else
    CHECK(segments(q.dir).empty());
}

TEST_CASE("committer: the journal's copy is taken before the file is in incoming/, and a failed rename is a failed commit",
          "[queue][commit][journal]") {
  test::TempQueue q;
  event::Loop loop;
  std::vector<size_t> segments_when_published;
  queue::Committer committer(loop, [&](const std::string&) { segments_when_published.push_back(segments(q.dir).size()); },
                             q.dir);
  queue::Writer w = test::complete_writer(q, "Subject: order\n\nbody\n");
  const std::string id = w.id();
  std::optional<Status> got;
  SECTION("published: the record was in a segment already") {
    committer.commit(std::move(w), [&](Status s) { got = s; });
    REQUIRE(run_until(loop, [&] { return got.has_value(); }));
    CHECK(*got);
    CHECK(segments_when_published == std::vector<size_t>{1});
  }
  SECTION("the name is taken: the commit fails though its copy reached the disk") {
    q.write("incoming/" + id, "another message's file");
    int calls = 0;
    committer.commit(std::move(w), [&](Status s) {
      got = s;
      ++calls;
    });
    REQUIRE(run_until(loop, [&] { return got.has_value(); }));
    CHECK_FALSE(*got);
    CHECK(segments_when_published.empty());
    // The journal's fdatasync still ends; its completion must not answer too.
    queue::Writer later = test::complete_writer(q, "Subject: later\n\nbody\n");
    std::optional<Status> later_got;
    committer.commit(std::move(later), [&](Status s) { later_got = s; });
    REQUIRE(run_until(loop, [&] { return later_got.has_value(); }));
    CHECK(*later_got);
    CHECK(calls == 1);
    CHECK(q.read("incoming/" + id) == "another message's file");
  }
}
