// The RFC 3464 report builder and the notice rules: the structure is parsed
// back (header, boundary, the three parts and their fields), not compared
// with a fixed text.
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>

#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "qmgr/dsn_report.h"
#include "qmgr/notice.h"

using namespace buzon;
using namespace buzon::qmgr;

namespace {

// Header fields of a block (unfolded), name lower-cased -> value.
std::multimap<std::string, std::string> fields(std::string_view block) {
  std::multimap<std::string, std::string> out;
  std::string name, value;
  auto flush = [&] {
    if (!name.empty()) out.emplace(name, value);
    name.clear();
  };
  while (!block.empty()) {
    auto nl = block.find('\n');
    std::string_view line = block.substr(0, nl);
    block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t') {
      value += " " + std::string(line.substr(1));
      continue;
    }
    flush();
    auto colon = line.find(':');
    REQUIRE(colon != std::string_view::npos);
    for (char c : line.substr(0, colon)) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    value = std::string(line.substr(colon + 1));
    while (!value.empty() && value[0] == ' ') value.erase(0, 1);
  }
  flush();
  return out;
}

std::string one(const std::multimap<std::string, std::string>& f, const std::string& name) {
  REQUIRE(f.count(name) == 1);
  return f.find(name)->second;
}

struct Parsed {
  std::multimap<std::string, std::string> header;
  std::string boundary;
  std::vector<std::pair<std::multimap<std::string, std::string>, std::string>> parts;  // part header, body
};

Parsed parse(const std::string& msg) {
  Parsed p;
  auto hdr_end = msg.find("\n\n");
  REQUIRE(hdr_end != std::string::npos);
  p.header = fields(std::string_view(msg).substr(0, hdr_end + 1));
  std::string ct = one(p.header, "content-type");
  auto b = ct.find("boundary=\"");
  REQUIRE(b != std::string::npos);
  p.boundary = ct.substr(b + 10, ct.find('"', b + 10) - b - 10);
  std::string delim = "\n--" + p.boundary;
  std::string body = msg.substr(hdr_end + 1);
  size_t at = body.find(delim);
  REQUIRE(at != std::string::npos);
  for (;;) {
    at += delim.size();
    if (body.compare(at, 2, "--") == 0) break;  // close delimiter
    REQUIRE(body[at] == '\n');
    size_t next = body.find(delim, at);
    REQUIRE(next != std::string::npos);
    std::string part = body.substr(at + 1, next - at - 1);
    auto ph = part.find("\n\n");
    REQUIRE(ph != std::string::npos);
    p.parts.emplace_back(fields(std::string_view(part).substr(0, ph + 1)), part.substr(ph + 2));
    at = next;
  }
  return p;
}

// The recipient blocks of a message/delivery-status body.
std::vector<std::multimap<std::string, std::string>> status_blocks(const std::string& body) {
  std::vector<std::multimap<std::string, std::string>> out;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find("\n\n", at);
    if (end == std::string::npos) end = body.size();
    std::string block = body.substr(at, end - at + 1);
    if (block.find_first_not_of("\n") != std::string::npos) out.push_back(fields(block));
    at = end + 2;
  }
  return out;
}

const char* kOriginal =
    "Received: from client.example (client.example [127.0.0.1])\n"
    "Subject: hello\n"
    "From: alice@example.test\n"
    "\n"
    "the body text\n";

ReportInput failure_input() {
  ReportInput in;
  in.kind = NoticeKind::Failure;
  in.myhostname = "mx.example.test";
  in.mail_name = "Buzon";
  in.notice_id = "0123456789ABCDEF0";
  in.from = "MAILER-DAEMON@mx.example.test";
  in.to = "alice@example.test";
  in.queue_id = "00000000000000001";
  in.sender = "alice@example.test";
  in.arrival = 1700000000;
  in.now = 1700000100;
  in.envid = "env-42";
  in.recipients = {
      {"bob@example.test", "rfc822;Bob@Example.test", "", "failed", "5.1.1", "unknown user: \"bob\"", "", 1700000090},
      {"carol@example.test", "", "list@example.test", "failed", "5.2.2", "mailbox full", "", 1700000095},
  };
  in.original = kOriginal;
  return in;
}

struct TempQueue {
  std::string dir;
  TempQueue() {
    char tmpl[] = "/tmp/buzon-dsn-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(dir + "/" + d, 0700));
  }
  ~TempQueue() { (void)std::system(("rm -rf '" + dir + "'").c_str()); }
};

}  // namespace

TEST_CASE("dsn: a failure report is multipart/report with the three parts", "[qmgr][dsn]") {
  std::string msg = build_report(failure_input());
  Parsed p = parse(msg);
  CHECK(one(p.header, "from") == "MAILER-DAEMON@mx.example.test (Mail Delivery System)");
  CHECK(one(p.header, "to") == "alice@example.test");
  CHECK(one(p.header, "subject") == "Undelivered Mail Returned to Sender");
  CHECK(one(p.header, "auto-submitted") == "auto-replied");
  CHECK(one(p.header, "mime-version") == "1.0");
  CHECK(one(p.header, "content-type").rfind("multipart/report; report-type=delivery-status;", 0) == 0);
  CHECK(one(p.header, "message-id") == "<0123456789ABCDEF0@mx.example.test>");
  REQUIRE(p.parts.size() == 3);

  CHECK(one(p.parts[0].first, "content-type") == "text/plain; charset=us-ascii");
  CHECK(p.parts[0].second.find("This is the mail system at host mx.example.test.") != std::string::npos);
  CHECK(p.parts[0].second.find("<bob@example.test>: unknown user: \"bob\"") != std::string::npos);
  CHECK(p.parts[0].second.find("<carol@example.test> (expanded from <list@example.test>): mailbox full") !=
        std::string::npos);

  CHECK(one(p.parts[1].first, "content-type") == "message/delivery-status");
  auto blocks = status_blocks(p.parts[1].second);
  REQUIRE(blocks.size() == 3);
  CHECK(one(blocks[0], "reporting-mta") == "dns; mx.example.test");
  CHECK(one(blocks[0], "original-envelope-id") == "env-42");
  CHECK(one(blocks[0], "arrival-date") == rfc5322_date(1700000000));
  CHECK(one(blocks[1], "final-recipient") == "rfc822; bob@example.test");
  CHECK(one(blocks[1], "original-recipient") == "rfc822;Bob@Example.test");
  CHECK(one(blocks[1], "action") == "failed");
  CHECK(one(blocks[1], "status") == "5.1.1");
  CHECK(one(blocks[1], "diagnostic-code") == "X-Buzon; unknown user: \"bob\"");
  CHECK(one(blocks[1], "last-attempt-date") == rfc5322_date(1700000090));
  CHECK(blocks[1].count("remote-mta") == 0);
  CHECK(blocks[1].count("will-retry-until") == 0);
  // Without ORCPT the original recipient of the O record stands in.
  CHECK(one(blocks[2], "original-recipient") == "rfc822;list@example.test");
  CHECK(one(blocks[2], "status") == "5.2.2");

  CHECK(one(p.parts[2].first, "content-type") == "text/rfc822-headers");
  CHECK(p.parts[2].second.find("Subject: hello\n") != std::string::npos);
  CHECK(p.parts[2].second.find("the body text") == std::string::npos);
}

TEST_CASE("dsn: RET=FULL returns the whole message as message/rfc822", "[qmgr][dsn]") {
  auto in = failure_input();
  in.full = true;
  in.envid.clear();
  Parsed p = parse(build_report(in));
  REQUIRE(p.parts.size() == 3);
  CHECK(one(p.parts[2].first, "content-type") == "message/rfc822");
  CHECK(p.parts[2].second.find("the body text\n") != std::string::npos);
  CHECK(status_blocks(p.parts[1].second)[0].count("original-envelope-id") == 0);
}

TEST_CASE("dsn: delay and success notices", "[qmgr][dsn]") {
  auto in = failure_input();
  in.kind = NoticeKind::Delay;
  in.now = in.arrival + 4 * 3600 + 5;
  in.retry_until = in.arrival + 5 * 86400;
  in.recipients.resize(1);
  in.recipients[0].action = "delayed";
  in.recipients[0].status = "4.2.0";
  Parsed d = parse(build_report(in));
  CHECK(one(d.header, "subject") == "Delayed Mail (still being retried)");
  CHECK(d.parts[0].second.find("THIS IS A WARNING ONLY") != std::string::npos);
  CHECK(d.parts[0].second.find("for more than 4 hour(s)") != std::string::npos);
  CHECK(d.parts[0].second.find("until it is 5 day(s) old") != std::string::npos);
  auto db = status_blocks(d.parts[1].second);
  CHECK(one(db[1], "action") == "delayed");
  CHECK(one(db[1], "will-retry-until") == rfc5322_date(in.retry_until));

  in.kind = NoticeKind::Success;
  in.recipients[0].action = "delivered";
  in.recipients[0].status = "2.0.0";
  Parsed s = parse(build_report(in));
  CHECK(one(s.header, "subject") == "Successful Mail Delivery Report");
  CHECK(one(status_blocks(s.parts[1].second)[1], "action") == "delivered");
}

TEST_CASE("dsn: network text cannot add header fields or break the boundary", "[qmgr][dsn]") {
  auto in = failure_input();
  in.envid = "x\nBcc: victim@example.org";
  in.recipients[0].diagnostic = "bad\r\nX-Injected: yes";
  in.recipients[0].orcpt = "rfc822;a@b\nAction: delivered";
  // An original that contains the boundary the builder would pick.
  std::string original = std::string(kOriginal) + "--" + in.notice_id + "." + std::to_string(in.now) + "/" +
                         in.myhostname + "--\n";
  in.original = original;
  in.full = true;
  Parsed p = parse(build_report(in));
  REQUIRE(p.parts.size() == 3);
  CHECK(p.header.count("bcc") == 0);
  auto blocks = status_blocks(p.parts[1].second);
  CHECK(blocks[1].count("x-injected") == 0);
  CHECK(blocks[1].count("action") == 1);
  CHECK(p.parts[2].second.find("the body text") != std::string::npos);
}

TEST_CASE("dsn: header_of stops at the empty line", "[qmgr][dsn]") {
  CHECK(header_of("A: 1\nB: 2\n\nbody\n") == "A: 1\nB: 2\n\n");
  CHECK(header_of("A: 1\n") == "A: 1\n");
  CHECK(header_of("\nbody") == "\n");
  CHECK(header_of("") == "");
}

TEST_CASE("dsn: NOTIFY decides which notices a recipient gets", "[qmgr][dsn]") {
  CHECK(notify_wants(0, NoticeKind::Failure));
  CHECK(notify_wants(0, NoticeKind::Delay));
  CHECK_FALSE(notify_wants(0, NoticeKind::Success));
  CHECK_FALSE(notify_wants(queue::kNotifyNever, NoticeKind::Failure));
  CHECK(notify_wants(queue::kNotifySuccess, NoticeKind::Success));
  CHECK_FALSE(notify_wants(queue::kNotifySuccess, NoticeKind::Failure));
  CHECK_FALSE(notify_wants(queue::kNotifyFailure, NoticeKind::Delay));
}

namespace {

std::string enqueue(const std::string& qdir, const std::string& sender, const std::string& ret,
                    const std::string& content) {
  auto w = queue::Writer::create(qdir);
  REQUIRE(w);
  REQUIRE(w->sender(sender));
  if (!ret.empty()) REQUIRE(w->attr("dsn_ret", ret));
  REQUIRE(w->attr("dsn_envid", "E1"));
  REQUIRE(w->recipient("bob@example.test"));
  REQUIRE(w->begin_content());
  REQUIRE(w->append(content));
  REQUIRE(w->commit());
  return w->id();
}

struct Queued {
  queue::Envelope env;
  std::string content;
};

Queued read_queued(const std::string& qdir, const std::string& dir, const std::string& id) {
  std::string path = queue::path(qdir, dir, id);
  Fd fd(::open(path.c_str(), O_RDONLY));
  REQUIRE(fd);
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  std::string content(env->content_size, '\0');
  REQUIRE(::pread(fd.get(), content.data(), content.size(), env->content_offset) ==
          static_cast<ssize_t>(content.size()));
  return {std::move(*env), std::move(content)};
}

std::vector<ReportRecipient> failed_bob() {
  return {{"bob@example.test", "", "", "failed", "5.1.1", "unknown user: \"bob\"", "", 1700000000}};
}

}  // namespace

TEST_CASE("notice: a bounce is a durable queue file from <> to the sender", "[qmgr][dsn]") {
  TempQueue q;
  std::string id = enqueue(q.dir, "alice@example.test", "FULL", kOriginal);
  Queued orig = read_queued(q.dir, "incoming", id);
  NoticeSettings s;
  s.myhostname = "mx.example.test";
  auto sent = send_notice(q.dir, "incoming", orig.env, NoticeKind::Failure, failed_bob(), s, 1700000100);
  REQUIRE(sent);
  REQUIRE_FALSE(sent->id.empty());
  CHECK(sent->to == "alice@example.test");
  Queued n = read_queued(q.dir, "incoming", sent->id);
  CHECK(n.env.sender.empty());
  REQUIRE(n.env.recipients.size() == 1);
  CHECK(n.env.recipients[0].address == "alice@example.test");
  Parsed p = parse(n.content);
  CHECK(one(p.parts[2].first, "content-type") == "message/rfc822");
  CHECK(p.parts[2].second.find("the body text") != std::string::npos);
  CHECK(one(status_blocks(p.parts[1].second)[0], "original-envelope-id") == "E1");
}

TEST_CASE("notice: RET=FULL over bounce_size_limit returns headers only", "[qmgr][dsn][limits]") {
  TempQueue q;
  std::string content = kOriginal;
  NoticeSettings s;
  s.bounce_size_limit = content.size();
  std::string at_limit = enqueue(q.dir, "alice@example.test", "FULL", content);
  std::string over = enqueue(q.dir, "alice@example.test", "FULL", content + "x\n");
  auto a = send_notice(q.dir, "incoming", read_queued(q.dir, "incoming", at_limit).env, NoticeKind::Failure,
                       failed_bob(), s, 1700000100);
  auto b = send_notice(q.dir, "incoming", read_queued(q.dir, "incoming", over).env, NoticeKind::Failure,
                       failed_bob(), s, 1700000100);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(one(parse(read_queued(q.dir, "incoming", a->id).content).parts[2].first, "content-type") ==
        "message/rfc822");
  CHECK(one(parse(read_queued(q.dir, "incoming", b->id).content).parts[2].first, "content-type") ==
        "text/rfc822-headers");
}

TEST_CASE("notice: mail from <> goes to the postmaster, a double bounce is discarded", "[qmgr][dsn]") {
  TempQueue q;
  NoticeSettings s;
  s.myorigin = "example.test";
  s.bounce_notice_recipient_2 = "postmaster";
  std::string from_null = enqueue(q.dir, "", "", kOriginal);
  auto sent = send_notice(q.dir, "incoming", read_queued(q.dir, "incoming", from_null).env, NoticeKind::Failure,
                          failed_bob(), s, 1700000100);
  REQUIRE(sent);
  CHECK(sent->kind == NoticeKind::PostmasterCopy);
  CHECK(sent->to == "postmaster");
  Queued n = read_queued(q.dir, "incoming", sent->id);
  CHECK(n.env.sender == "double-bounce@example.test");
  CHECK(one(parse(n.content).header, "subject") == "Postmaster Copy: Undelivered Mail");

  // The postmaster copy failing in turn: nothing is queued.
  auto again = send_notice(q.dir, "incoming", n.env, NoticeKind::Failure, failed_bob(), s, 1700000200);
  REQUIRE(again);
  CHECK(again->id.empty());
  // No delay or success notices about mail from <>.
  auto delay = send_notice(q.dir, "incoming", read_queued(q.dir, "incoming", from_null).env, NoticeKind::Delay,
                           failed_bob(), s, 1700000100);
  REQUIRE(delay);
  CHECK(delay->id.empty());
}
