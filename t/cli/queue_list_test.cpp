#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/queue_list.h"
#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::cli;
using V = std::vector<std::string>;

namespace {

struct Queue {
  test::TempDir t;
  std::string dir;
  Queue() : dir(t.path) {
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(dir + "/" + d, 0700));
  }
  // A real queue file written by queue::Writer, then moved to queue `to`.
  std::string write(const std::string& sender, const V& rcpts, const std::string& content,
                    const std::string& to = "incoming") {
    auto w = queue::Writer::create(dir);
    REQUIRE(w);
    REQUIRE(w->sender(sender));
    for (const auto& r : rcpts) REQUIRE(w->recipient(r));
    REQUIRE(w->begin_content());
    REQUIRE(w->append(content));
    REQUIRE(w->commit());
    std::string id = w->id();
    if (to != "incoming")
      REQUIRE(::rename(queue::path(dir, "incoming", id).c_str(), queue::path(dir, to, id).c_str()) == 0);
    return id;
  }
};

// Local time is part of the layout; the tests pin it.
struct UtcZone {
  UtcZone() {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
};

QueuedMessage msg(std::string id, std::string q, char mark, long long t, unsigned long long size, std::string sender,
                  std::vector<QueuedRecipient> r) {
  return QueuedMessage{std::move(id), std::move(q), mark, t, size, std::move(sender), std::move(r)};
}

}  // namespace

TEST_CASE("queue list: every queue, its mark, pending recipients, reasons", "[queue_list]") {
  Queue q;
  std::string a = q.write("alice@example.test", {"bob@example.test", "carol@example.test"}, "Subject: a\n\nhi\n");
  std::string b = q.write("", {"postmaster@example.test"}, "bounce\n", "active");
  std::string c = q.write("dave@x", {"r1@far.example", "r2@far.example", "r3@far.example"}, "x", "deferred");
  std::string d = q.write("eve@x", {"done@x", "held@x"}, "held\n", "hold");
  REQUIRE(file::write_atomic(queue::path(q.dir, "defer", c),
                             "r1@far.example\t4.4.1\tconnect to far.example: Connection refused\n"
                             "r2@far.example\t4.4.1\tconnect to far.example: Connection refused\n"
                             "r1@far.example\t4.7.1\thost said: 451 greylisted\n"
                             "a line without tabs\n"));
  {
    Fd fd(::open(queue::path(q.dir, "hold", d).c_str(), O_RDWR));
    auto env = queue::read_envelope(fd.get(), d);
    REQUIRE(env);
    REQUIRE(queue::mark_done(fd.get(), env->recipients[0].offset));
  }

  auto l = scan_queue(q.dir);
  REQUIRE(l);
  CHECK(l->warnings.empty());
  REQUIRE(l->messages.size() == 4);
  const auto& ma = l->messages[0];
  CHECK(ma.id == a);
  CHECK(ma.queue_name == "incoming");
  CHECK(ma.mark == ' ');
  CHECK(ma.sender == "alice@example.test");
  CHECK(ma.message_size == std::string("Subject: a\n\nhi\n").size());
  CHECK(ma.arrival_time > 1700000000);
  REQUIRE(ma.recipients.size() == 2);
  CHECK(ma.recipients[1].address == "carol@example.test");
  CHECK(ma.recipients[1].delay_reason.empty());

  const auto& mb = l->messages[1];
  CHECK(mb.id == b);
  CHECK(mb.queue_name == "active");
  CHECK(mb.mark == '*');
  CHECK(mb.sender.empty());

  const auto& mc = l->messages[2];
  CHECK(mc.queue_name == "deferred");
  REQUIRE(mc.recipients.size() == 3);
  CHECK(mc.recipients[0].delay_reason == "host said: 451 greylisted");  // the last line wins
  CHECK(mc.recipients[1].delay_reason == "connect to far.example: Connection refused");
  CHECK(mc.recipients[2].delay_reason.empty());

  const auto& md = l->messages[3];
  CHECK(md.queue_name == "hold");
  CHECK(md.mark == '!');
  REQUIRE(md.recipients.size() == 1);  // the delivered one is not listed
  CHECK(md.recipients[0].address == "held@x");
}

TEST_CASE("queue list: arrival order within a queue", "[queue_list]") {
  Queue q;
  std::string first = q.write("a@x", {"b@x"}, "1\n", "deferred");
  std::string second = q.write("a@x", {"b@x"}, "2\n", "deferred");
  auto l = scan_queue(q.dir);
  REQUIRE(l);
  REQUIRE(l->messages.size() == 2);
  CHECK(l->messages[0].id == first);
  CHECK(l->messages[1].id == second);
}

TEST_CASE("queue list: corrupt and strange files are warnings, not failures", "[queue_list]") {
  Queue q;
  std::string good = q.write("a@x", {"b@x"}, "ok\n", "deferred");
  std::string bad_id = queue::new_id();
  REQUIRE(file::write_atomic(queue::path(q.dir, "deferred", bad_id), "V1:1\nT5:garbage"));
  REQUIRE(file::write_atomic(q.dir + "/incoming/not-a-queue-id", "x"));
  REQUIRE(::mkfifo((q.dir + "/active/" + queue::new_id()).c_str(), 0600) == 0);
  std::string truncated = q.write("a@x", {"b@x"}, "will be cut\n", "hold");
  std::string tpath = queue::path(q.dir, "hold", truncated);
  struct stat st;
  REQUIRE(::stat(tpath.c_str(), &st) == 0);
  REQUIRE(::truncate(tpath.c_str(), st.st_size - 1) == 0);

  auto l = scan_queue(q.dir);
  REQUIRE(l);
  REQUIRE(l->messages.size() == 1);
  CHECK(l->messages[0].id == good);
  REQUIRE(l->warnings.size() == 4);
  std::string all;
  for (const auto& w : l->warnings) all += w + "\n";
  CHECK(all.find("not-a-queue-id: not a queue file name") != std::string::npos);
  CHECK(all.find(": not a regular file") != std::string::npos);
  CHECK(all.find(bad_id + ": corrupt") != std::string::npos);
  CHECK(all.find(truncated + ": corrupt") != std::string::npos);
}

TEST_CASE("queue list: missing queue subdirectories are empty queues", "[queue_list]") {
  Queue q;
  REQUIRE(::rmdir((q.dir + "/hold").c_str()) == 0);
  auto l = scan_queue(q.dir);
  REQUIRE(l);
  CHECK(l->messages.empty());
  CHECK(l->warnings.empty());
  CHECK_FALSE(scan_queue(q.dir + "/nonexistent"));
}

TEST_CASE("queue list: defer log at its limit and one byte over", "[queue_list][limit]") {
  Queue q;
  std::string id = q.write("a@x", {"b@x"}, "x\n", "deferred");
  std::string line = "b@x\t4.0.0\tslow\n";
  std::string at(kDeferLogMax - line.size() - 1, '#');
  at += "\n" + line;
  REQUIRE(at.size() == kDeferLogMax);
  REQUIRE(file::write_atomic(queue::path(q.dir, "defer", id), at));
  auto l = scan_queue(q.dir);
  REQUIRE(l);
  CHECK(l->warnings.empty());
  CHECK(l->messages[0].recipients[0].delay_reason == "slow");

  REQUIRE(file::write_atomic(queue::path(q.dir, "defer", id), "#" + at));
  l = scan_queue(q.dir);
  REQUIRE(l);
  REQUIRE(l->warnings.size() == 1);
  CHECK(l->warnings[0].find("too long") != std::string::npos);
  REQUIRE(l->messages.size() == 1);  // still listed, without reasons
  CHECK(l->messages[0].recipients[0].delay_reason.empty());
}

TEST_CASE("queue list: defer log lines", "[queue_list]") {
  auto r = parse_defer_log("a@x\t4.1.1\tfirst\nno tabs\nonly\tone tab\nb@x\t4.2.2\twith\ttab\n\nc@x\t5.0.0\tlast");
  REQUIRE(r.size() == 3);
  CHECK(r[0] == std::pair<std::string, std::string>{"a@x", "first"});
  CHECK(r[1] == std::pair<std::string, std::string>{"b@x", "with\ttab"});
  CHECK(r[2] == std::pair<std::string, std::string>{"c@x", "last"});
}

TEST_CASE("queue list: Postfix mailq layout", "[queue_list]") {
  UtcZone utc;
  std::vector<QueuedMessage> m = {
      msg("4C1F2A3B4D5E6F7A8", "active", '*', 1732843269, 2048, "alice@example.test",
          {{"bob@example.test", ""}}),
      msg("4C1F2A3C00000AAAA", "deferred", ' ', 1733000000, 1023, "",
          {{"r1@far.example", "connect to far.example: Connection refused"},
           {"r2@far.example", "connect to far.example: Connection refused"},
           {"r3@far.example", "host said: 451 greylisted"},
           {"r4@far.example", ""}}),
  };
  std::string pad(41, ' ');
  CHECK(format_mailq(m) ==
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        "4C1F2A3B4D5E6F7A8*    2048 Fri Nov 29 01:21:09  alice@example.test\n" +
            pad + "bob@example.test\n"
                  "\n"
                  "4C1F2A3C00000AAAA     1023 Sat Nov 30 20:53:20  MAILER-DAEMON\n"
                  "(connect to far.example: Connection refused)\n" +
            pad + "r1@far.example\n" + pad +
            "r2@far.example\n"
            "(host said: 451 greylisted)\n" +
            pad + "r3@far.example\n" + pad +
            "r4@far.example\n"
            "\n"
            "-- 2 Kbytes in 2 Requests.\n");
}

TEST_CASE("queue list: the Kbytes footer and the empty queue", "[queue_list]") {
  UtcZone utc;
  CHECK(format_mailq({}) == "Mail queue is empty\n");
  auto one = [](unsigned long long size) {
    return format_mailq({msg("4C1F2A3B4D5E6F7A8", "incoming", ' ', 0, size, "a@x", {{"b@x", ""}})});
  };
  CHECK(one(1023).find("\n-- 0 Kbytes in 1 Request.\n") != std::string::npos);
  CHECK(one(1024).find("\n-- 1 Kbytes in 1 Request.\n") != std::string::npos);
  CHECK(one(5).find("4C1F2A3B4D5E6F7A8        5 Thu Jan  1 00:00:00  a@x\n") != std::string::npos);
}

TEST_CASE("queue list: control characters from the queue are neutralised", "[queue_list]") {
  UtcZone utc;
  auto out = format_mailq({msg("4C1F2A3B4D5E6F7A8", "incoming", ' ', 0, 1, "a@x\nFAKE LINE",
                               {{"b@x\r\n-- 0 Kbytes", "why\x1b[31m"}})});
  CHECK(out.find("a@x?FAKE LINE\n") != std::string::npos);
  CHECK(out.find("b@x?\?-- 0 Kbytes\n") != std::string::npos);
  CHECK(out.find("(why?[31m)\n") != std::string::npos);
}

TEST_CASE("queue list: JSON, one object per message (postqueue -j)", "[queue_list]") {
  std::vector<QueuedMessage> m = {
      msg("4C1F2A3B4D5E6F7A8", "deferred", ' ', 1732843269, 2048, "alice@example.test",
          {{"bob@example.test", "said: \"no\"\n"}, {"carol@example.test", ""}}),
      msg("4C1F2A3C00000AAAA", "hold", '!', 5, 1, "", {}),
  };
  CHECK(format_json(m) ==
        "{\"queue_name\": \"deferred\", \"queue_id\": \"4C1F2A3B4D5E6F7A8\", \"arrival_time\": 1732843269, "
        "\"message_size\": 2048, \"sender\": \"alice@example.test\", \"recipients\": [{\"address\": "
        "\"bob@example.test\", \"delay_reason\": \"said: \\\"no\\\"\\n\"}, {\"address\": \"carol@example.test\"}]}\n"
        "{\"queue_name\": \"hold\", \"queue_id\": \"4C1F2A3C00000AAAA\", \"arrival_time\": 5, \"message_size\": 1, "
        "\"sender\": \"\", \"recipients\": []}\n");
  CHECK(format_json({}).empty());
}
