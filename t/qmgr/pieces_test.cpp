// qmgr's pure scheduling pieces: transport choice, backoff arithmetic, the
// defer log format, delay formatting, reply validation and queue listing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <sstream>

#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "qmgr/backoff.h"
#include "qmgr/defer_log.h"
#include "qmgr/delivery_log.h"
#include "qmgr/queue_dirs.h"
#include "qmgr/reply_check.h"
#include "qmgr/temp_purge.h"
#include "qmgr/transport.h"
#include "qmgr/virtual_rewrite.h"

using namespace buzon;
using namespace buzon::qmgr;

namespace {

struct TempQueue {
  std::string dir;
  TempQueue() {
    char tmpl[] = "/tmp/buzon-qmgr-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(dir + "/" + d, 0700));
  }
  ~TempQueue() { (void)std::system(("rm -rf '" + dir + "'").c_str()); }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("qmgr: address classes pick the default transport", "[qmgr][transport]") {
  TransportRules t;
  t.mydestination = {"example.test", "mx.example.test", "localhost."};
  t.relay_domains = {"relay.example"};
  t.local_transport = "local:mx.example.test";
  Router r(t);
  CHECK(r.class_default("bob@example.test") == Route{"local", "mx.example.test"});
  CHECK(r.class_default("bob@EXAMPLE.Test").transport == "local");
  CHECK(r.class_default("bob@example.test.").transport == "local");
  CHECK(r.class_default("bob@localhost").transport == "local");
  CHECK(r.class_default("\"a@b\"@Mx.Example.Test").transport == "local");
  CHECK(r.class_default("bob").transport == "local");  // no domain: a local name
  CHECK(r.class_default("bob@sub.example.test") == Route{"smtp", "sub.example.test"});  // no implicit subdomains
  CHECK(r.class_default("bob@example.testx").transport == "smtp");
  CHECK(r.class_default("bob@Relay.Example") == Route{"relay", "relay.example"});
  CHECK(r.class_default("bob@a.relay.example").transport == "relay");  // relay_domains matches subdomains
  t.relay_parent_matches = false;
  CHECK(Router(t).class_default("bob@a.relay.example").transport == "smtp");
  t.local_transport = "local";
  CHECK(Router(t).class_default("bob@example.test") == Route{"local", "example.test"});
  CHECK(domain_of("A@B.Example.") == "b.example");
  CHECK(domain_of("nobody") == "");
}

TEST_CASE("qmgr: transport_maps keys in Postfix's order", "[qmgr][transport]") {
  using V = std::vector<std::string>;
  CHECK(transport_keys("Bob+News@Sub.Example.COM", "+", false) ==
        V{"bob+news@sub.example.com", "bob@sub.example.com", "sub.example.com", ".example.com", ".com", "*"});
  CHECK(transport_keys("bob@sub.example.com", "", true) ==
        V{"bob@sub.example.com", "sub.example.com", "example.com", "com", "*"});
  CHECK(transport_keys("bob+x@example.com", "-", false) == V{"bob+x@example.com", "example.com", ".com", "*"});
  CHECK(transport_keys("bob", "+", false) == V{"*"});
}

TEST_CASE("qmgr: transport_maps results as transport(5) describes them", "[qmgr][transport]") {
  Route dflt{"smtp", "example.com"};
  CHECK(split_transport("smtp:[relay.example]:2525") == Route{"smtp", "[relay.example]:2525"});
  CHECK(split_transport("local") == Route{"local", ""});
  CHECK(apply_transport_result(dflt, ":", "example.com") == dflt);                      // do not change
  CHECK(apply_transport_result(dflt, "", "example.com") == dflt);
  CHECK(apply_transport_result(dflt, ":[gw.example]", "example.com") == Route{"smtp", "[gw.example]"});
  CHECK(apply_transport_result(Route{"smtp", "[relayhost]"}, "slow:", "example.com") == Route{"slow", "example.com"});
  CHECK(apply_transport_result(dflt, "error:mail for *.example.com is not deliverable", "example.com") ==
        Route{"error", "mail for *.example.com is not deliverable"});
}

TEST_CASE("qmgr: transport_maps lookups through a table", "[qmgr][transport]") {
  TempQueue q;
  std::string table = q.dir + "/transport";
  REQUIRE(file::write_atomic(table,
                             "bob+list@example.com local:\n"
                             "example.com slow:\n"
                             ".example.com :[gw.example]\n"
                             "* error:5.7.1 no outside mail\n",
                             0600));
  TransportRules t;
  t.mydestination = {"mx.example"};
  t.recipient_delimiter = "+";
  t.transport_maps = {"texthash:" + table};
  Router r(t);
  CHECK(*r.route("bob+list@example.com") == Route{"local", "example.com"});
  CHECK(*r.route("bob+other@example.com") == Route{"slow", "example.com"});
  CHECK(*r.route("x@a.b.example.com") == Route{"smtp", "[gw.example]"});
  CHECK(*r.route("x@elsewhere.example") == Route{"error", "5.7.1 no outside mail"});
  t.transport_maps = {"hash:" + q.dir + "/missing"};
  CHECK_FALSE(Router(t).route("x@example.com").ok());
}

TEST_CASE("qmgr: an address left in a virtual alias domain is an unknown user", "[qmgr][transport][virtual]") {
  TempQueue q;
  std::string table = q.dir + "/virtual";
  REQUIRE(file::write_atomic(table, "tables.example anything\n", 0600));
  TransportRules t;
  t.mydestination = {"mx.example"};
  t.virtual_alias_domains = {"Virt.Example", "texthash:" + table};
  Router r(t);
  CHECK(*r.route("nobody@virt.example") == Route{"error", "5.1.1 User unknown in virtual alias table"});
  CHECK(*r.route("nobody@tables.example") == Route{"error", "5.1.1 User unknown in virtual alias table"});
  CHECK(r.route("bob@mx.example")->transport == "local");
  CHECK(r.route("bob@sub.virt.example")->transport == "smtp");
  t.mydestination = {"virt.example"};  // mydestination wins, as in Postfix
  CHECK(Router(t).route("bob@virt.example")->transport == "local");
  t.virtual_alias_domains = {"texthash:" + q.dir + "/missing"};
  CHECK_FALSE(Router(t).route("x@other.example").ok());
  CHECK(Router(t).route("x@virt.example").ok());  // local: the alias domains are not asked
}

TEST_CASE("qmgr: virtual mailbox domains go to virtual_transport", "[qmgr][transport][virtual]") {
  TempQueue q;
  std::string table = q.dir + "/vdomains";
  REQUIRE(file::write_atomic(table, "tables.example anything\n", 0600));
  std::string transports = q.dir + "/transport";
  REQUIRE(file::write_atomic(transports, "special@box.example slow:\n", 0600));
  TransportRules t;
  t.mydestination = {"mx.example", "both.example"};
  t.relay_domains = {"box.example"};
  t.virtual_alias_domains = {"alias.example"};
  t.virtual_mailbox_domains = {"Box.Example", "both.example", "alias.example", "texthash:" + table};
  Router r(t);
  CHECK(*r.route("bob@box.example") == Route{"virtual", "box.example"});  // before relay_domains
  CHECK(*r.route("bob@tables.example") == Route{"virtual", "tables.example"});
  CHECK(r.route("bob@both.example")->transport == "local");  // mydestination wins (with a warning)
  CHECK(r.route("bob@alias.example")->transport == "error");  // virtual_alias_domains first
  CHECK(r.route("bob@sub.box.example")->transport == "relay");  // a subdomain is not the domain
  t.virtual_transport = "lmtp:[127.0.0.1]:24";
  CHECK(*Router(t).route("bob@box.example") == Route{"lmtp", "[127.0.0.1]:24"});
  t.virtual_transport = "virtual";
  t.transport_maps = {"texthash:" + transports};  // transport_maps still wins
  CHECK(*Router(t).route("special@box.example") == Route{"slow", "box.example"});
  CHECK(*Router(t).route("other@box.example") == Route{"virtual", "box.example"});
  t.virtual_mailbox_domains = {"texthash:" + q.dir + "/missing"};
  CHECK_FALSE(Router(t).route("x@other.example").ok());
}

namespace {

std::string write_message(const std::string& qdir, const std::vector<std::pair<std::string, std::string>>& rcpts) {
  auto w = queue::Writer::create(qdir);
  REQUIRE(w);
  REQUIRE(w->sender("alice@example.org"));
  REQUIRE(w->attr("client_addr", "127.0.0.1"));
  queue::RecipientDsn dsn;
  dsn.notify = queue::kNotifyFailure | queue::kNotifySuccess;
  for (const auto& [a, orig] : rcpts) REQUIRE(w->recipient(a, orig, dsn));
  REQUIRE(w->begin_content());
  REQUIRE(w->append("Subject: hi\n\nbody line\n"));
  REQUIRE(w->commit());
  std::string id = w->id();
  REQUIRE(::rename(queue::path(qdir, "incoming", id).c_str(), queue::path(qdir, "active", id).c_str()) == 0);
  return id;
}

queue::Envelope envelope_of(const std::string& qdir, const std::string& id) {
  Fd fd(::open(queue::path(qdir, "active", id).c_str(), O_RDONLY));
  REQUIRE(fd);
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  return *env;
}

}  // namespace

TEST_CASE("qmgr: virtual alias expansion rewrites the queue file once", "[qmgr][virtual]") {
  TempQueue q;
  std::string table = q.dir + "/virtual";
  REQUIRE(file::write_atomic(table,
                             "info@virt.example  ann@mail.example, bob@mail.example\n"
                             "ann@virt.example   ann@virt.example, archive@mail.example\n"
                             "loop1@virt.example loop2@virt.example\n"
                             "loop2@virt.example loop3@virt.example\n"
                             "loop3@virt.example loop4@virt.example\n",
                             0600));
  virt::AliasRules rules;
  rules.maps = {"texthash:" + table};
  virt::Aliases aliases(rules);

  std::string plain = write_message(q.dir, {{"bob@mail.example", ""}});
  CHECK_FALSE(*rewrite_virtual_aliases(q.dir, "active", envelope_of(q.dir, plain), aliases));

  std::string id = write_message(q.dir, {{"info@virt.example", ""}, {"ann@virt.example", "Ann@Virt.Example"},
                                         {"bob@mail.example", ""}});
  std::string before = slurp(queue::path(q.dir, "active", id));
  auto env = envelope_of(q.dir, id);
  REQUIRE(*rewrite_virtual_aliases(q.dir, "active", env, aliases));
  auto after = envelope_of(q.dir, id);
  CHECK(after.arrival_sec == env.arrival_sec);
  CHECK(after.arrival_usec == env.arrival_usec);
  CHECK(after.sender == "alice@example.org");
  CHECK(after.attr("client_addr") == "127.0.0.1");
  CHECK(after.attr("virtual_alias_expanded") == "yes");
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& r : after.recipients) {
    got.emplace_back(r.address, r.original);
    CHECK(r.dsn.notify == (queue::kNotifyFailure | queue::kNotifySuccess));
    CHECK_FALSE(r.done);
  }
  // bob@mail.example once (info's expansion wrote it first), ann's original kept.
  CHECK(got == std::vector<std::pair<std::string, std::string>>{{"ann@mail.example", "info@virt.example"},
                                                                 {"bob@mail.example", "info@virt.example"},
                                                                 {"ann@virt.example", "Ann@Virt.Example"},
                                                                 {"archive@mail.example", "Ann@Virt.Example"}});
  std::string text = slurp(queue::path(q.dir, "active", id));
  const std::string content = "Subject: hi\n\nbody line\n";
  CHECK(text.substr(text.size() - queue::kEndRecordSize - content.size(), content.size()) == content);
  CHECK(after.content_size == env.content_size);
  CHECK(before != text);
  // Expanded once: ann lists herself, a second pass must not add her again.
  CHECK_FALSE(*rewrite_virtual_aliases(q.dir, "active", after, aliases));
  CHECK(::access(queue::path(q.dir, "tmp", id).c_str(), F_OK) != 0);

  // Too deep: an error, the file untouched.
  rules.recursion_limit = 2;
  virt::Aliases shallow(rules);
  std::string deep = write_message(q.dir, {{"loop1@virt.example", ""}});
  std::string deep_before = slurp(queue::path(q.dir, "active", deep));
  auto err = rewrite_virtual_aliases(q.dir, "active", envelope_of(q.dir, deep), shallow);
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().message == "unreasonable virtual_alias_maps map nesting for loop4@virt.example");
  CHECK(slurp(queue::path(q.dir, "active", deep)) == deep_before);
}

TEST_CASE("qmgr: error, retry and discard replies", "[qmgr][transport]") {
  auto e = pseudo_reply(Route{"error", "5.1.1 account closed"});
  CHECK((e.status == 5 && e.dsn == "5.1.1" && e.reason == "account closed"));
  e = pseudo_reply(Route{"error", "no such list"});
  CHECK((e.status == 5 && e.dsn == "5.0.0" && e.reason == "no such list"));
  e = pseudo_reply(Route{"error", "4.1.1 wrong class"});  // a 4.x.x code does not fit error
  CHECK((e.status == 5 && e.dsn == "5.0.0" && e.reason == "4.1.1 wrong class"));
  auto r = pseudo_reply(Route{"retry", "4.2.1 moving"});
  CHECK((r.status == 4 && r.dsn == "4.2.1" && r.reason == "moving"));
  auto d = pseudo_reply(Route{"discard", "example.com"});
  CHECK((d.status == 0 && d.dsn == "2.0.0" && d.reason == "example.com"));
  CHECK(is_pseudo_transport("discard"));
  CHECK_FALSE(is_pseudo_transport("local"));
}

TEST_CASE("qmgr: backoff doubles with age between the minimal and maximal time", "[qmgr][backoff]") {
  Backoff b;
  b.minimal = std::chrono::seconds(300);
  b.maximal = std::chrono::seconds(4000);
  const long long t0 = 1700000000;
  CHECK(next_attempt(t0, t0, b) == t0 + 300);               // fresh: the minimum
  CHECK(next_attempt(t0, t0 + 299, b) == t0 + 299 + 300);   // age below the minimum
  CHECK(next_attempt(t0, t0 + 300, b) == t0 + 600);         // at the minimum
  CHECK(next_attempt(t0, t0 + 301, b) == t0 + 602);         // one over: age
  CHECK(next_attempt(t0, t0 + 600, b) == t0 + 1200);        // waits double
  CHECK(next_attempt(t0, t0 + 1200, b) == t0 + 2400);
  CHECK(next_attempt(t0, t0 + 4000, b) == t0 + 8000);       // at the maximum
  CHECK(next_attempt(t0, t0 + 4001, b) == t0 + 8001);       // capped
  CHECK(next_attempt(t0, t0 + 100000, b) == t0 + 104000);
  CHECK(next_attempt(t0, t0 - 50, b) == t0 - 50 + 300);     // clock stepped back
  b.maximal = std::chrono::seconds(100);                    // max below min: min wins
  CHECK(next_attempt(t0, t0 + 1000, b) == t0 + 1300);
}

TEST_CASE("qmgr: maximal_queue_lifetime at the limit and one second before", "[qmgr][backoff][limits]") {
  Backoff b;
  b.lifetime = std::chrono::seconds(5 * 86400);
  const long long t0 = 1700000000;
  CHECK_FALSE(expired(t0, t0, b));
  CHECK_FALSE(expired(t0, t0 + 5 * 86400 - 1, b));
  CHECK(expired(t0, t0 + 5 * 86400, b));
  CHECK(expired(t0, t0 + 5 * 86400 + 1, b));
  b.lifetime = std::chrono::seconds(0);  // deliver once, as Postfix
  CHECK(expired(t0, t0, b));
}

TEST_CASE("qmgr: defer log lines round-trip and cannot be forged", "[qmgr][defer]") {
  std::string line = format_defer_line({"bob@example.test", "4.4.1", "mail transport unavailable"});
  CHECK(line == "bob@example.test\t4.4.1\tmail transport unavailable\n");
  auto e = parse_defer_line(line);
  REQUIRE(e);
  CHECK(e->recipient == "bob@example.test");
  CHECK(e->dsn == "4.4.1");
  CHECK(e->reason == "mail transport unavailable");
  // A reason with a tab or newline must not add fields or lines.
  std::string evil = format_defer_line({"a\tb@x", "4.0.0", "one\ntwo\tthree"});
  CHECK(std::count(evil.begin(), evil.end(), '\n') == 1);
  auto back = parse_defer_line(evil);
  REQUIRE(back);
  CHECK(back->recipient == "a b@x");
  CHECK(back->reason == "one two three");
  CHECK(format_defer_line({std::string(5000, 'r'), "4.0.0", "x"}).size() < 1100);
  CHECK_FALSE(parse_defer_line("no tabs"));
  CHECK_FALSE(parse_defer_line("one\ttwo"));
  CHECK_FALSE(parse_defer_line("a\tb\tc\td"));
  CHECK(parse_defer_line("a\t\t\n"));  // empty fields are still three fields
}

TEST_CASE("qmgr: defer log is appended in defer/ID and removed", "[qmgr][defer]") {
  TempQueue q;
  std::string id = queue::new_id();
  REQUIRE(append_defer(q.dir, id, {"a@x", "4.4.1", "first"}));
  REQUIRE(append_defer(q.dir, id, {"a@x", "4.3.0", "second"}));
  std::string p = queue::path(q.dir, "defer", id);
  CHECK(slurp(p) == "a@x\t4.4.1\tfirst\na@x\t4.3.0\tsecond\n");
  struct stat st;
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(remove_defer(q.dir, id));
  CHECK(::access(p.c_str(), F_OK) != 0);
  CHECK(remove_defer(q.dir, id));  // already gone is fine
}

TEST_CASE("qmgr: delays are printed like Postfix", "[qmgr][log]") {
  CHECK(format_delay(0) == "0");
  CHECK(format_delay(-3) == "0");
  CHECK(format_delay(0.004) == "0");
  CHECK(format_delay(0.01) == "0.01");
  CHECK(format_delay(0.123) == "0.12");
  CHECK(format_delay(0.5) == "0.5");
  CHECK(format_delay(1.25) == "1.2");
  CHECK(format_delay(3.0) == "3");
  CHECK(format_delay(12.7) == "12");
  CHECK(format_delay(349.9) == "349");
}

TEST_CASE("qmgr: the delivery log line has Postfix's shape", "[qmgr][log]") {
  Attempt a;
  a.queue_id = "4C1F2A3B0001A2B3C";
  a.recipient = "bob@example.test";
  a.relay = "local";
  a.arrival = 1000.0;
  a.activated = 1000.01;
  a.started = 1000.01;
  a.connected = 1000.01;
  a.finished = 1000.12;
  a.dsn = "2.0.0";
  a.status = "sent";
  a.reason = "delivered to mailbox";
  CHECK(format_attempt(a) ==
        "4C1F2A3B0001A2B3C: to=<bob@example.test>, relay=local, delay=0.12, delays=0.01/0/0/0.11, dsn=2.0.0, "
        "status=sent (delivered to mailbox)");
  a.original = "Bob@Example.Test";
  CHECK(format_attempt(a).find("to=<bob@example.test>, orig_to=<Bob@Example.Test>, relay=local") !=
        std::string::npos);
  a.original = a.recipient;  // same as the recipient: not repeated
  CHECK(format_attempt(a).find("orig_to") == std::string::npos);
}

TEST_CASE("qmgr: agent replies are validated before they count", "[qmgr][reply]") {
  auto msg = [](const char* st, const char* dsn, const char* reason) {
    attr::Message m;
    if (st) m.set("status", st);
    if (dsn) m.set("dsn", dsn);
    if (reason) m.set("reason", reason);
    return m;
  };
  auto ok = check_reply(msg("0", "2.0.0", "delivered to mailbox"));
  CHECK(ok.ok);
  CHECK(ok.status == 0);
  CHECK(ok.dsn == "2.0.0");
  CHECK(check_reply(msg("5", "5.1.1", "unknown user")).status == 5);
  CHECK(check_reply(msg("4", "4.2.0", "locked")).status == 4);
  // A malformed status is a temporary failure, whatever else it says.
  for (const char* st : {"1", "2", "-1", "x", "", "00x", "6"}) {
    INFO(st);
    auto c = check_reply(msg(st, "2.0.0", "ok"));
    CHECK_FALSE(c.ok);
    CHECK(c.status == 4);
  }
  CHECK(check_reply(msg(nullptr, "2.0.0", "ok")).status == 4);
  // A dsn of the wrong class or shape is replaced, the status kept.
  auto wrong = check_reply(msg("0", "5.1.1", "x"));
  CHECK(wrong.status == 0);
  CHECK(wrong.dsn == "2.0.0");
  CHECK_FALSE(wrong.ok);
  CHECK(check_reply(msg("5", "5.1", "x")).dsn == "5.0.0");
  CHECK(check_reply(msg("4", nullptr, "x")).dsn == "4.0.0");
  CHECK(dsn_ok("2.0.0"));
  CHECK(dsn_ok("5.123.456"));
  CHECK_FALSE(dsn_ok("5.1234.0"));
  CHECK_FALSE(dsn_ok("3.0.0"));
  CHECK_FALSE(dsn_ok("2.0."));
  CHECK_FALSE(dsn_ok("2..0"));
  CHECK_FALSE(dsn_ok("22.0.0"));
}

TEST_CASE("qmgr: queue listing is sorted and skips names that are not queue IDs", "[qmgr][queue]") {
  TempQueue q;
  for (const char* n : {"4C1F2A3B0001A2B3C", "1C1F2A3B0001A2B3C", "..hidden", "4c1f2a3b0001a2b3c", "README",
                        "4C1F2A3B0001A2B3CX"})
    std::ofstream(q.dir + "/incoming/" + n) << "x";
  auto ids = list_queue(q.dir, "incoming");
  REQUIRE(ids);
  CHECK(*ids == std::vector<std::string>{"1C1F2A3B0001A2B3C", "4C1F2A3B0001A2B3C"});
  CHECK_FALSE(list_queue(q.dir, "nonexistent").ok());
  REQUIRE(move_file(q.dir, "incoming", "active", "4C1F2A3B0001A2B3C"));
  CHECK(::access((q.dir + "/active/4C1F2A3B0001A2B3C").c_str(), F_OK) == 0);
  CHECK_FALSE(move_file(q.dir, "incoming", "active", "4C1F2A3B0001A2B3C"));
  std::string p = q.dir + "/active/4C1F2A3B0001A2B3C";
  REQUIRE(set_time(p, 1700000123));
  auto m = mtime_of(p);
  REQUIRE(m);
  CHECK(*m == 1700000123);
}

TEST_CASE("qmgr: stale temporary files of dead writers are removed, live ones kept", "[qmgr][tmp]") {
  TempQueue q;
  auto live = queue::Writer::create(q.dir);
  REQUIRE(live);
  REQUIRE(live->sender("a@example.test"));
  std::string live_path = queue::path(q.dir, "tmp", live->id());
  std::string dead_path = queue::path(q.dir, "tmp", "6752A1B20A1B2C3D4");
  std::string fresh_path = queue::path(q.dir, "tmp", "6752A1B20A1B2C3D5");
  std::string other_path = q.dir + "/tmp/notes.txt";
  for (const auto& p : {dead_path, fresh_path, other_path}) REQUIRE(file::write_atomic(p, "V1:1\n", 0600));
  long long now = static_cast<long long>(::time(nullptr));
  long long old = now - kTempMinAge.count();
  REQUIRE(set_time(live_path, old));
  REQUIRE(set_time(dead_path, old));
  REQUIRE(set_time(fresh_path, old + 1));
  REQUIRE(set_time(other_path, old - 100));
  CHECK(purge_stale_temp(q.dir, static_cast<std::time_t>(now)) == 1);
  CHECK(::access(dead_path.c_str(), F_OK) != 0);
  CHECK(::access(live_path.c_str(), F_OK) == 0);   // its writer holds the lock
  CHECK(::access(fresh_path.c_str(), F_OK) == 0);  // younger than kTempMinAge
  CHECK(::access(other_path.c_str(), F_OK) == 0);  // not a queue file name
  // The live writer still commits normally.
  REQUIRE(live->recipient("b@example.test"));
  REQUIRE(live->begin_content());
  REQUIRE(live->commit());
  CHECK(::access(queue::path(q.dir, "incoming", live->id()).c_str(), F_OK) == 0);
}
