// Spare queue files (lib/queue/spare.h). The cursors are per process, so
// the tests fill the whole ring where they need a slot to be found.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "lib/queue/queue.h"
#include "lib/queue/spare.h"
#include "t/lib/queue/temp_queue.h"

using namespace buzon;

namespace {

struct Queue : test::TempQueue {
  std::string tmp = path + "/tmp";
  std::vector<std::string> spares() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(tmp.c_str());
    REQUIRE(d != nullptr);
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name).rfind("spare.", 0) == 0) out.push_back(tmp + "/" + e->d_name);
    ::closedir(d);
    return out;
  }
  // Every slot of the ring holds a file, so a taker finds one wherever its
  // cursor is.
  void fill_ring() const {
    for (unsigned n = 0; n < queue::kSpareSlots; ++n) write("tmp/spare." + std::to_string(n), "old message");
  }
};

ino_t inode(const std::string& p) {
  struct stat st;
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_ino;
}

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

std::string commit_one(const std::string& queue_dir, const std::string& body) {
  auto w = queue::Writer::create(queue_dir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.test"));
  REQUIRE(w->recipient("bob@example.test"));
  REQUIRE(w->begin_content());
  REQUIRE(w->append(body));
  REQUIRE(w->commit());
  return w->id();
}

}  // namespace

TEST_CASE("spare: a finished queue file is emptied and becomes the next message's file", "[queue][spare]") {
  Queue q;
  std::string first = queue::path(q.path, "incoming", commit_one(q.path, "first message, a long body\n"));
  ino_t ino = inode(first);
  REQUIRE(queue::keep_spare(q.path, first));
  CHECK_FALSE(exists(first));
  auto spares = q.spares();
  REQUIRE(spares.size() == 1);
  CHECK(inode(spares[0]) == ino);
  CHECK(q.read(spares[0].substr(q.path.size() + 1)).empty());  // no message lingers

  std::string id = commit_one(q.path, "second\n");
  std::string second = queue::path(q.path, "incoming", id);
  CHECK(inode(second) == ino);
  CHECK(q.spares().empty());
  Fd fd(::open(second.c_str(), O_RDONLY | O_CLOEXEC));
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  CHECK(env->content_size == 7);
  CHECK(env->recipients.size() == 1);
  CHECK(q.read("incoming/" + id).find("first message") == std::string::npos);
}

TEST_CASE("spare: a taker finds none in an empty ring, and a full ring takes no more", "[queue][spare]") {
  Queue q;
  CHECK_FALSE(queue::take_spare(q.path));

  q.fill_ring();
  std::string done = q.write("active/0000000000000000B", "delivered");
  CHECK_FALSE(queue::keep_spare(q.path, done));
  CHECK(exists(done));  // the caller unlinks it
  CHECK(q.spares().size() == queue::kSpareSlots);
}

TEST_CASE("spare: a finished file that someone holds locked never becomes a spare", "[queue][spare]") {
  // The keeper locks before it renames: a file named spare.N is either
  // empty or locked by whoever will empty it. Renamed first, a taker could
  // fill it with a message that the keeper's truncation then destroyed.
  Queue q;
  std::string done = q.write("active/0000000000000000C", "a message a taker is writing");
  Fd holder(::open(done.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(::flock(holder.get(), LOCK_EX | LOCK_NB) == 0);
  CHECK_FALSE(queue::keep_spare(q.path, done));
  CHECK(q.spares().empty());
  CHECK(q.read("active/0000000000000000C") == "a message a taker is writing");
}

TEST_CASE("spare: a taken spare is empty, stays where it is, and is locked against others", "[queue][spare]") {
  Queue q;
  q.fill_ring();
  auto taken = queue::take_spare(q.path);
  REQUIRE(taken);
  REQUIRE(taken->fd);
  CHECK(taken->path.rfind(q.tmp + "/spare.", 0) == 0);
  CHECK(q.spares().size() == queue::kSpareSlots);
  CHECK(q.read(taken->path.substr(q.path.size() + 1)).empty());
  Fd other(::open(taken->path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(other);
  CHECK(::flock(other.get(), LOCK_EX | LOCK_NB) < 0);
  // Another taker in this process passes it by.
  auto second = queue::take_spare(q.path);
  REQUIRE(second);
  CHECK(second->path != taken->path);
}

TEST_CASE("spare: a spare someone holds locked is not used, nor one that is not a plain file", "[queue][spare]") {
  Queue q;
  SECTION("locked: a keeper is still emptying it, or another taker writes in it") {
    q.fill_ring();
    std::vector<Fd> locks;
    for (const auto& s : q.spares()) {
      locks.emplace_back(::open(s.c_str(), O_RDONLY | O_CLOEXEC));
      REQUIRE(::flock(locks.back().get(), LOCK_EX | LOCK_NB) == 0);
    }
    CHECK_FALSE(queue::take_spare(q.path));
    CHECK(q.spares().size() == queue::kSpareSlots);  // left as they were
    for (const auto& s : q.spares()) CHECK(q.read(s.substr(q.path.size() + 1)) == "old message");
  }
  SECTION("a symbolic link") {
    std::string target = q.write("victim", "not a queue file");
    for (unsigned n = 0; n < queue::kSpareSlots; ++n)
      REQUIRE(::symlink(target.c_str(), (q.tmp + "/spare." + std::to_string(n)).c_str()) == 0);
    CHECK_FALSE(queue::take_spare(q.path));
    CHECK(q.read("victim") == "not a queue file");
  }
  SECTION("a second name (hard link)") {
    q.fill_ring();
    for (const auto& s : q.spares()) REQUIRE(::link(s.c_str(), (s + ".link").c_str()) == 0);
    CHECK_FALSE(queue::take_spare(q.path));
  }
}

TEST_CASE("spare: a message written in a spare is renamed from it; an abandoned one leaves it empty", "[queue][spare]") {
  Queue q;
  q.fill_ring();
  {
    auto w = queue::Writer::create(q.path);
    REQUIRE(w);
    REQUIRE(w->sender("alice@example.test"));
    REQUIRE(w->recipient("bob@example.test"));
    REQUIRE(w->begin_content());
    REQUIRE(w->append("never accepted\n"));
    CHECK(q.spares().size() == queue::kSpareSlots);  // written where it lies
  }  // the client went away before the end of DATA
  CHECK(q.spares().size() == queue::kSpareSlots);
  size_t emptied = 0;
  for (const auto& s : q.spares()) {
    std::string text = q.read(s.substr(q.path.size() + 1));
    CHECK(text.find("never accepted") == std::string::npos);
    emptied += text.empty();
  }
  CHECK(emptied == 1);
  std::string id = commit_one(q.path, "accepted\n");
  CHECK(q.spares().size() == queue::kSpareSlots - 1);
  CHECK(q.read("incoming/" + id).find("accepted") != std::string::npos);
}

TEST_CASE("spare: a new process starts taking at the first spare and keeping after the last", "[queue][spare]") {
  Queue q;
  // Left by processes before: a run that wraps around the end of the ring.
  std::vector<unsigned> run;
  for (unsigned n = queue::kSpareSlots - 6; n < queue::kSpareSlots; ++n) run.push_back(n);
  for (unsigned n = 0; n < 10; ++n) run.push_back(n);
  for (unsigned n : run) q.write("tmp/spare." + std::to_string(n), "old message");
  q.write("tmp/spare.x", "not a slot");
  q.write("tmp/spare.99999", "not a slot either");
  queue::find_spare_cursors(q.path);

  auto taken = queue::take_spare(q.path);
  REQUIRE(taken);
  CHECK(taken->path == q.tmp + "/spare." + std::to_string(queue::kSpareSlots - 6));

  // At slot 0 the keeper would find the ring full; after the run, room.
  std::string done = q.write("active/0000000000000000B", "delivered");
  REQUIRE(queue::keep_spare(q.path, done));
  CHECK(exists(q.tmp + "/spare.10"));
}
