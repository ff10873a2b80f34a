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

}  // namespace buzon::test
