// A temporary queue_directory with every queue subdirectory, removed with
// everything in it: the fixture of the lib/queue tests.
#pragma once
#include <string>

#include <catch2/catch.hpp>

#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "t/temp_dir.h"

namespace buzon::test {

struct TempQueue : TempDir {
  const std::string& dir = path;
  TempQueue() {
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(path + "/" + d, 0700));
  }
};

// A Writer in q with a sender, one recipient and body as its content: ready
// to be committed.
inline queue::Writer complete_writer(const TempQueue& q, const std::string& body) {
  auto w = queue::Writer::create(q.dir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.test"));
  REQUIRE(w->recipient("bob@example.test"));
  REQUIRE(w->begin_content());
  REQUIRE(w->append(body));
  return std::move(*w);
}

}  // namespace buzon::test
