#include <catch2/catch.hpp>

#include "lib/mailbox/uidlist.h"

using namespace buzon::mailbox;

TEST_CASE("uidlist: round trip", "[mailbox][uidlist]") {
  UidList list{1700000000, 5, {{1, 120, "1700000000.M1P2Q3.host,S=118"}, {4, 9, "b"}}};
  auto back = parse_uidlist(format_uidlist(list));
  REQUIRE(back);
  CHECK(back->uidvalidity == 1700000000);
  CHECK(back->next_uid == 5);
  REQUIRE(back->entries.size() == 2);
  CHECK(back->entries[0].base == "1700000000.M1P2Q3.host,S=118");
  CHECK(back->entries[0].vsize == 120);
  CHECK(back->entries[1].uid == 4);
}

TEST_CASE("uidlist: an empty folder has only the header", "[mailbox][uidlist]") {
  auto list = parse_uidlist("B1 V7 N1\n");
  REQUIRE(list);
  CHECK(list->entries.empty());
}

TEST_CASE("uidlist: malformed files are refused", "[mailbox][uidlist]") {
  for (const char* bad : {
           "",
           "B1 V7 N1",                  // no final newline
           "B2 V7 N1\n",                // unknown version
           "B1 V0 N1\n",                // UIDVALIDITY 0 is invalid (RFC 3501)
           "B1 V7\n",                   // no next uid
           "B1 V7 N3 x\n",              // junk after the header
           "B1 V7 N3\n1 10 a\n1 10 b\n",  // UIDs not ascending
           "B1 V7 N3\n3 10 a\n",        // UID not below next uid
           "B1 V7 N3\n0 10 a\n",        // UID 0
           "B1 V7 N3\n1 x a\n",         // bad size
           "B1 V7 N3\n1 10 ../etc\n",   // a path, not a base name
           "B1 V7 N3\n1 10 a:2,S\n",    // flags are not part of the base
           "B1 V7 N3\n1 10 .hidden\n",
           "B1 V7 N3\n1 10 a b\n",
           "B1 V99999999999 N3\n",      // over 32 bits
       }) {
    INFO(bad);
    CHECK_FALSE(parse_uidlist(bad));
  }
  CHECK_FALSE(parse_uidlist("B1 V7 N3\n1 10 " + std::string(kUidLineMax, 'a') + "\n"));
}
