// lib/config: main.cf parsing, expansion, types, limits, conf -e, master.cf.
#include <netdb.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/config/config.h"
#include "t/temp_dir.h"

using namespace buzon;
using namespace buzon::config;
namespace fs = std::filesystem;

namespace {

Result<MainCf> parse(std::string_view text) { return MainCf::parse(text, "main.cf", "/etc/test"); }

// The error message, or "OK" when the text loads.
std::string err(std::string_view text) {
  auto cf = parse(text);
  return cf ? "OK" : cf.error().message;
}

MainCf must(std::string_view text) {
  auto cf = parse(text);
  if (!cf) FAIL("unexpected error: " << cf.error().message);
  return std::move(cf).value();
}

std::string master_err(std::string_view text, const MainCf& main = MainCf()) {
  auto s = parse_master_cf(text, "master.cf", main);
  return s ? "OK" : s.error().message;
}

std::vector<Service> master_must(std::string_view text, const MainCf& main = MainCf()) {
  auto s = parse_master_cf(text, "master.cf", main);
  if (!s) FAIL("unexpected error: " << s.error().message);
  return std::move(s).value();
}

using test::TempDir;

// A file of exactly n bytes that parses: one parameter, then comment lines.
std::string file_of_size(size_t n) {
  std::string s = "myorigin = example.org\n";
  while (s.size() < n) {
    size_t room = n - s.size();
    size_t len = std::min<size_t>(room, 1000);
    if (len == 1) {
      s += "\n";
    } else {
      s += "#" + std::string(len - 2, 'x') + "\n";
    }
  }
  return s;
}

}  // namespace

// ---- parameter table ----------------------------------------------------

TEST_CASE("config: table is sorted, unique and searchable", "[config]") {
  auto all = params();
  REQUIRE(all.size() >= 50);
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].name < all[i].name);
  for (const auto& d : all) {
    CHECK(find_param(d.name) == &d);
    CHECK(!d.description.empty());
  }
  CHECK(find_param("home_mailboxx") == nullptr);
  CHECK(find_param("") == nullptr);
  CHECK(find_param("zzzz") == nullptr);
}

TEST_CASE("config: every default value passes its own type check", "[config]") {
  MainCf cf = must("");
  for (const auto& d : params()) {
    switch (d.type) {
      case Type::Bool: (void)cf.get_bool(d.name); break;
      case Type::Int: (void)cf.get_int(d.name); break;
      case Type::Size: (void)cf.get_size(d.name); break;
      case Type::Time: (void)cf.get_time(d.name); break;
      default: (void)cf.get(d.name); break;
    }
    CHECK(!cf.is_explicit(d.name));
  }
  CHECK(cf.get("queue_directory") == "/var/spool/buzon");
  CHECK(cf.get_size("message_size_limit") == 10240000);
  CHECK(cf.get_bool("disable_vrfy_command"));
  CHECK(cf.get_list("mailbox_delivery_lock") == std::vector<std::string>{"fcntl", "dotlock"});
  CHECK(cf.get("daemon_directory") == BUZON_DAEMON_DIR);
  CHECK(cf.get("mail_version") == BUZON_VERSION);
  CHECK(cf.explicit_params().empty());
}

// ---- main.cf syntax -----------------------------------------------------

TEST_CASE("config: comments and blank lines are skipped, '#' inside a value is kept", "[config]") {
  MainCf cf = must("# a comment\n   # an indented comment\n\n \t \nmyorigin = a # not a comment\n#mail_name = X\n");
  CHECK(cf.get("myorigin") == "a # not a comment");
  CHECK(cf.get("mail_name") == "Buzon");
  CHECK(cf.explicit_params().size() == 1);
}

TEST_CASE("config: white space around '=' is optional", "[config]") {
  CHECK(must("myorigin=a").get("myorigin") == "a");
  CHECK(must("myorigin   =   b  \t").get("myorigin") == "b");
  CHECK(must("myorigin =").get("myorigin") == "");
  CHECK(must("myorigin = x = y").get("myorigin") == "x = y");
}

TEST_CASE("config: continuation lines join with one space", "[config]") {
  MainCf cf = must("mydestination = a,\n    b,\n\tc\nmail_name = M\n");
  CHECK(cf.raw("mydestination") == "a, b, c");
  CHECK(cf.get_list("mydestination") == std::vector<std::string>{"a", "b", "c"});
  CHECK(cf.get("mail_name") == "M");
  // Comment and blank lines do not end a logical line (Postfix readlline).
  CHECK(must("myorigin = a\n# note\n\n  b\n").get("myorigin") == "a b");
  CHECK(err("  myorigin = a\n") == "main.cf:1: continuation line without a preceding line: myorigin = a");
}

TEST_CASE("config: later definitions override earlier ones", "[config]") {
  MainCf cf = must("myorigin = first\nmail_name = N\nmyorigin = second\n");
  CHECK(cf.get("myorigin") == "second");
  CHECK(cf.explicit_params() ==
        std::vector<std::pair<std::string, std::string>>{{"mail_name", "N"}, {"myorigin", "second"}});
}

TEST_CASE("config: malformed lines are reported with file:line", "[config]") {
  CHECK(err("myorigin = a\njust words\n") == "main.cf:2: missing '=' after parameter name: just words");
  CHECK(err("my-origin = a\n") == "main.cf:1: bad parameter name: my-origin");
  CHECK(err(" \n= a\n") == "main.cf:2: bad parameter name: ");
  CHECK(err(std::string("myorigin = a\0b\n", 15)) == "main.cf:1: NUL character");
}

// ---- expansion -------------------------------------------------------------

TEST_CASE("config: $name, ${name} and $(name) expand at lookup time", "[config]") {
  MainCf cf = must("myorigin = <$myhostname|${myhostname}|$(myhostname)>\nmyhostname = mail.example.org\n");
  CHECK(cf.raw("myorigin") == "<$myhostname|${myhostname}|$(myhostname)>");
  CHECK(cf.get("myorigin") == "<mail.example.org|mail.example.org|mail.example.org>");
  CHECK(cf.get("smtpd_banner") == "mail.example.org ESMTP Buzon");
  CHECK(cf.get("mydomain") == "example.org");
  CHECK(cf.get("mydestination") == "mail.example.org, localhost.example.org, localhost");
  CHECK(must("myorigin = a$$b$$$mail_name").get("myorigin") == "a$b$Buzon");
  // A name ends at the first character that cannot be in a name.
  CHECK(must("myorigin = $mail_name.x").get("myorigin") == "Buzon.x");
  // Undefined names expand to nothing, as in Postfix.
  CHECK(must("myorigin = a${not_defined_anywhere}b").get("myorigin") == "ab");
}

TEST_CASE("config: conditional expansion forms", "[config]") {
  auto with = [](std::string_view delim, std::string_view expr) {
    std::string text = "recipient_delimiter = " + std::string(delim) + "\nmyorigin = " + std::string(expr) + "\n";
    return must(text).get("myorigin");
  };
  CHECK(with("+", "x${recipient_delimiter?set}y") == "xsety");
  CHECK(with("", "x${recipient_delimiter?set}y") == "xy");
  CHECK(with("+", "x$(recipient_delimiter?set)y") == "xsety");
  CHECK(with("+", "x${recipient_delimiter:unset}y") == "xy");
  CHECK(with("", "x${recipient_delimiter:unset}y") == "xunsety");
  CHECK(with("+", "${recipient_delimiter?{yes}:{no}}") == "yes");
  CHECK(with("", "${recipient_delimiter?{yes}:{no}}") == "no");
  CHECK(with("", "${recipient_delimiter?{yes} : {no}}") == "no");
  CHECK(with("+", "${recipient_delimiter?{a b}}") == "a b");
  CHECK(with("", "${recipient_delimiter:{a b}}") == "a b");
  // The chosen text is expanded itself; nested braces are balanced.
  CHECK(with("+", "${recipient_delimiter?[$mail_name ${mail_name}]}") == "[Buzon Buzon]");
  CHECK(with("", "${recipient_delimiter:${recipient_delimiter?x}z}") == "z");
  // The test looks at the expanded value: $empty_helper is "".
  CHECK(must("h = $recipient_delimiter\nmyorigin = ${h:empty}\n").get("myorigin") == "empty");
}

TEST_CASE("config: malformed expansions are load errors with file:line", "[config]") {
  CHECK(err("myorigin = a$") == "main.cf:1: cannot expand myorigin: '$' at end of value");
  CHECK(err("\nmyorigin = ${myhostname") == "main.cf:2: cannot expand myorigin: missing '}' in ${myhostname");
  CHECK(err("myorigin = $(myhostname") == "main.cf:1: cannot expand myorigin: missing ')' in $(myhostname");
  CHECK(err("myorigin = $-x") == "main.cf:1: cannot expand myorigin: '$' followed by '-' (write $$ for a literal '$')");
  CHECK(err("myorigin = ${}") == "main.cf:1: cannot expand myorigin: missing parameter name in ${}");
  CHECK(err("myorigin = ${mail_name!x}") ==
        "main.cf:1: cannot expand myorigin: unexpected '!' after $mail_name in ${mail_name!x}");
  CHECK(err("myorigin = ${mail_name?{a}x}") ==
        "main.cf:1: cannot expand myorigin: unexpected text after {...} in ${mail_name?{a}x}");
  CHECK(err("myorigin = ${mail_name?{a}:b}") ==
        "main.cf:1: cannot expand myorigin: expected {text} after ':' in ${mail_name?{a}:b}");
}

TEST_CASE("config: expansion depth is limited to kExpandDepthMax", "[config][limit]") {
  // myorigin -> $p1 -> ... -> $pN: N nested references.
  auto chain = [](int n) {
    std::string text = "myorigin = $p1\n";
    for (int i = 1; i < n; ++i) text += "p" + std::to_string(i) + " = $p" + std::to_string(i + 1) + "\n";
    text += "p" + std::to_string(n) + " = end\n";
    return text;
  };
  MainCf cf = must(chain(kExpandDepthMax));
  CHECK(cf.get("myorigin") == "end");
  CHECK(cf.get("p1") == "end");
  std::string e = err(chain(kExpandDepthMax + 1));
  CHECK(e == "main.cf:1: cannot expand myorigin: parameter expansion nested deeper than 64 levels at $p65 (a loop?)");
  CHECK_THAT(err("myorigin = $a\na = $b\nb = $a\n"), Catch::StartsWith("main.cf:1: cannot expand myorigin: parameter expansion nested deeper"));
  CHECK_THAT(err("myhostname = $myorigin\n"), Catch::StartsWith("main.cf:1: cannot expand myhostname: parameter expansion nested deeper"));
}

TEST_CASE("config: expansion work is bounded (100000 lookups, 1 MiB of output)", "[config][limit]") {
  // Lookups: myorigin itself + 99 x ($a + 1000 x $e) + r x $e.
  auto work = [](int r) {
    std::string a, top;
    for (int i = 0; i < 1000; ++i) a += "$e";
    for (int i = 0; i < 99; ++i) top += "$a";
    for (int i = 0; i < r; ++i) top += "$e";
    return "a = " + a + "\nmyorigin = " + top + "\n";
  };
  CHECK(err(work(900)) == "OK");
  CHECK(err(work(901)) == "main.cf:2: cannot expand myorigin: too many parameter expansions");

  std::string kib(1024, 'x');
  std::string refs;
  for (int i = 0; i < 1023; ++i) refs += "$b";
  MainCf cf = must("b = " + kib + "\nc = " + kib + "\nmyorigin = " + refs + "$c\n");
  CHECK(cf.get("myorigin").size() == kConfigFileMax);
  CHECK(err("b = " + kib + "\nc = " + kib + "x\nmyorigin = " + refs + "$c\n") ==
        "main.cf:3: cannot expand myorigin: expanded value too long");
}

TEST_CASE("config: exponential expansion is cut off", "[config][limit]") {
  std::string text = "myorigin = $e0\n";
  for (int i = 0; i < 40; ++i) text += "e" + std::to_string(i) + " = $e" + std::to_string(i + 1) + "$e" + std::to_string(i + 1) + "\n";
  text += "e40 = x\n";
  CHECK_THAT(err(text), Catch::Contains("cannot expand"));
}

TEST_CASE("config: computed myhostname and mydomain defaults", "[config]") {
  MainCf cf = must("");
  std::string host = cf.get("myhostname");
  REQUIRE(host.find('.') != std::string::npos);
  char buf[256] = {};
  REQUIRE(gethostname(buf, sizeof buf - 1) == 0);
  std::string sys = buf;
  CHECK(host == (sys.find('.') == std::string::npos ? sys + ".localdomain" : sys));
  CHECK(cf.get("mydomain") == host.substr(host.find('.') + 1));
  CHECK(cf.get("myorigin") == host);
  CHECK(must("myhostname = nodot\n").get("mydomain") == "localdomain");
  CHECK(must("myhostname = a.b.c\nmydomain = other.test\n").get("mydestination") == "a.b.c, localhost.other.test, localhost");
}

// ---- unknown and user-defined parameters ---------------------------------

TEST_CASE("config: unknown parameters are errors with file:line", "[config]") {
  CHECK(err("myorigin = a\n\nhome_mailboxx = Maildir/\n") == "main.cf:3: unknown parameter: home_mailboxx");
  // The first one in the file is reported.
  CHECK(err("zzz_typo = 1\naaa_typo = 2\n") == "main.cf:1: unknown parameter: zzz_typo");
}

TEST_CASE("config: user-defined parameters are allowed when referenced", "[config]") {
  MainCf cf = must("my_domains = a.test b.test\nmydestination = $myhostname ${my_domains}\n");
  CHECK(cf.get("my_domains") == "a.test b.test");
  CHECK(cf.is_explicit("my_domains"));
  CHECK(must("helper = +\nmyorigin = ${helper?x}\n").get("helper") == "+");
  CHECK(must("helper = +\nmyorigin = ${mail_name:$(helper)}\n").get("helper") == "+");
  // A reference from a value that was overridden later does not count.
  CHECK(err("helper = x\nmyorigin = $helper\nmyorigin = y\n") == "main.cf:1: unknown parameter: helper");
}

// ---- types ---------------------------------------------------------------

TEST_CASE("config: Bool values", "[config]") {
  CHECK_FALSE(must("disable_vrfy_command = no").get_bool("disable_vrfy_command"));
  CHECK(must("disable_vrfy_command = YES").get_bool("disable_vrfy_command"));
  CHECK(err("\n\n\n\n\n\ndisable_vrfy_command = maybe\n") ==
        "main.cf:7: bad boolean value for disable_vrfy_command: maybe");
  CHECK(err("disable_vrfy_command =") == "main.cf:1: bad boolean value for disable_vrfy_command: ");
  CHECK(err("disable_vrfy_command = 1") == "main.cf:1: bad boolean value for disable_vrfy_command: 1");
}

TEST_CASE("config: Int values", "[config][limit]") {
  CHECK(must("smtpd_recipient_limit = 0").get_int("smtpd_recipient_limit") == 0);
  CHECK(must("smtpd_recipient_limit = 2147483647").get_int("smtpd_recipient_limit") == 2147483647ULL);
  CHECK(err("smtpd_recipient_limit = 2147483648") == "main.cf:1: bad integer value for smtpd_recipient_limit: 2147483648");
  CHECK(err("smtpd_recipient_limit = 10x") == "main.cf:1: bad integer value for smtpd_recipient_limit: 10x");
  CHECK(err("smtpd_recipient_limit = -1") == "main.cf:1: bad integer value for smtpd_recipient_limit: -1");
  CHECK(err("smtpd_recipient_limit = ") == "main.cf:1: bad integer value for smtpd_recipient_limit: ");
  CHECK(err("smtpd_recipient_limit = 1 0") == "main.cf:1: bad integer value for smtpd_recipient_limit: 1 0");
}

TEST_CASE("config: Size values", "[config][limit]") {
  CHECK(must("message_size_limit = 0").get_size("message_size_limit") == 0);
  CHECK(must("message_size_limit = 999999999999999999").get_size("message_size_limit") == 999999999999999999ULL);
  CHECK(err("message_size_limit = 9999999999999999999") ==
        "main.cf:1: bad size value for message_size_limit: 9999999999999999999 (expected bytes)");
  CHECK(err("message_size_limit = 10M") == "main.cf:1: bad size value for message_size_limit: 10M (expected bytes)");
}

TEST_CASE("config: Time values and units", "[config]") {
  using std::chrono::seconds;
  auto t = [](std::string_view name, std::string_view v) {
    return must(std::string(name) + " = " + std::string(v)).get_time(name);
  };
  CHECK(t("smtpd_timeout", "7s") == seconds(7));
  CHECK(t("smtpd_timeout", "5m") == seconds(300));
  CHECK(t("smtpd_timeout", "2h") == seconds(7200));
  CHECK(t("smtpd_timeout", "1d") == seconds(86400));
  CHECK(t("smtpd_timeout", "1w") == seconds(604800));
  CHECK(t("smtpd_timeout", "0") == seconds(0));
  // No unit: the unit of the default value ("300s" -> s, "5d" -> d).
  CHECK(t("smtpd_timeout", "30") == seconds(30));
  CHECK(t("maximal_queue_lifetime", "2") == seconds(2 * 86400));
  CHECK(t("maximal_queue_lifetime", "2h") == seconds(7200));
  CHECK(must("").get_time("maximal_queue_lifetime") == seconds(5 * 86400));
  CHECK(must("").get_time("smtpd_timeout") == seconds(300));
  std::string hint = " (expected a number with unit s, m, h, d or w)";
  CHECK(err("smtpd_timeout = 5x") == "main.cf:1: bad time value for smtpd_timeout: 5x" + hint);
  CHECK(err("smtpd_timeout = s") == "main.cf:1: bad time value for smtpd_timeout: s" + hint);
  CHECK(err("smtpd_timeout = 5S") == "main.cf:1: bad time value for smtpd_timeout: 5S" + hint);
  CHECK(err("smtpd_timeout = 1h30m") == "main.cf:1: bad time value for smtpd_timeout: 1h30m" + hint);
  CHECK(err("smtpd_timeout = 999999999999999999w") ==
        "main.cf:1: bad time value for smtpd_timeout: 999999999999999999w" + hint);
}

TEST_CASE("config: word-valued parameters", "[config]") {
  CHECK(must("smtpd_forbid_bare_newline = reject").get("smtpd_forbid_bare_newline") == "reject");
  CHECK(must("smtpd_forbid_bare_newline = no").get("smtpd_forbid_bare_newline") == "no");
  CHECK(err("smtpd_forbid_bare_newline = maybe") ==
        "main.cf:1: bad value for smtpd_forbid_bare_newline: maybe (expected normalize, reject, no)");
  CHECK(must("mailbox_delivery_lock = flock").get_list("mailbox_delivery_lock") == std::vector<std::string>{"flock"});
  CHECK(err("mailbox_delivery_lock = fcntl, lockf") ==
        "main.cf:1: bad value for mailbox_delivery_lock: lockf (expected fcntl, flock, dotlock)");
  CHECK(err("syslog_facility = mial") ==
        "main.cf:1: bad value for syslog_facility: mial (expected mail, daemon, user, auth, authpriv, local0, "
        "local1, local2, local3, local4, local5, local6, local7)");
}

TEST_CASE("config: types are checked after expansion, at the defining line", "[config]") {
  CHECK(must("lim = 2048\nmessage_size_limit = $lim\n").get_size("message_size_limit") == 2048);
  CHECK(err("lim = 10M\nmyorigin = a\nmessage_size_limit = ${lim}\n") ==
        "main.cf:3: bad size value for message_size_limit: 10M (expected bytes)");
  CHECK(err("x = maybe\ndisable_vrfy_command = ${mail_name?$x}\n") ==
        "main.cf:2: bad boolean value for disable_vrfy_command: maybe");
}

// ---- limits ------------------------------------------------------------------

TEST_CASE("config: file size limit kConfigFileMax", "[config][limit]") {
  std::string at = file_of_size(kConfigFileMax);
  REQUIRE(at.size() == kConfigFileMax);
  CHECK(err(at) == "OK");
  std::string over = file_of_size(kConfigFileMax + 1);
  REQUIRE(over.size() == kConfigFileMax + 1);
  CHECK(err(over) == "main.cf: file too large (limit 1048576 bytes)");

  TempDir dir;
  dir.write("main.cf", at);
  CHECK(MainCf::load(dir.path));
  dir.write("main.cf", over);
  auto cf = MainCf::load(dir.path);
  REQUIRE_FALSE(cf);
  CHECK(cf.error().message == dir.path + "/main.cf: file too large (limit 1048576 bytes)");
}

TEST_CASE("config: logical line limit kLogicalLineMax", "[config][limit]") {
  std::string head = "myorigin = ";
  std::string at = head + std::string(kLogicalLineMax - head.size(), 'x');
  REQUIRE(at.size() == kLogicalLineMax);
  CHECK(must(at).get("myorigin").size() == kLogicalLineMax - head.size());
  CHECK(err(at + "x") == "main.cf:1: logical line too long (limit 4096 bytes)");
  // Counted after joining: "first" + ' ' + "second".
  std::string first = head + std::string(2000, 'a');
  std::string second(kLogicalLineMax - first.size() - 1, 'b');
  CHECK(err("\n" + first + "\n   " + second + "\n") == "OK");
  CHECK(err("\n" + first + "\n   " + second + "b\n") == "main.cf:2: logical line too long (limit 4096 bytes)");
}

// ---- set, get, load ----------------------------------------------------------

TEST_CASE("config: set() checks names and types and keeps the old value on error", "[config]") {
  MainCf cf = must("myorigin = a\n");
  REQUIRE(cf.set("smtpd_timeout", "60s"));
  CHECK(cf.get_time("smtpd_timeout") == std::chrono::seconds(60));
  CHECK(cf.is_explicit("smtpd_timeout"));
  auto bad = cf.set("smtpd_timeout", "soon");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "bad time value for smtpd_timeout: soon (expected a number with unit s, m, h, d or w)");
  CHECK(cf.get_time("smtpd_timeout") == std::chrono::seconds(60));
  CHECK(cf.set("no_such_param", "1").error().message == "unknown parameter: no_such_param");
  CHECK(cf.set("myorigin", "a\nmail_name = evil").error().message == "bad value for myorigin: contains a line break or NUL");
  CHECK(cf.get("myorigin") == "a");
  // smtpd_banner's default refers to $myhostname.
  auto loop = cf.set("myhostname", "$smtpd_banner");
  REQUIRE_FALSE(loop);
  CHECK_THAT(loop.error().message, Catch::StartsWith("cannot expand myhostname: parameter expansion nested deeper"));
  CHECK_FALSE(cf.is_explicit("myhostname"));
}

TEST_CASE("config: get() of a name outside the table aborts", "[config]") {
  std::fflush(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    std::signal(SIGABRT, SIG_DFL);  // not Catch2's handler: die, don't report
    std::freopen("/dev/null", "w", stderr);
    MainCf cf;
    (void)cf.get("no_such_parameter");
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}

TEST_CASE("config: load() reads DIR/main.cf and sets config_directory", "[config]") {
  TempDir dir;
  auto missing = MainCf::load(dir.path);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "open " + dir.path + "/main.cf: No such file or directory");
  CHECK(missing.error().sys_errno == ENOENT);

  dir.write("main.cf", "# instance\nqueue_directory = $config_directory/queue\nhome_mailboxx = x\n");
  auto typo = MainCf::load(dir.path);
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message == dir.path + "/main.cf:3: unknown parameter: home_mailboxx");

  dir.write("main.cf", "# instance\nqueue_directory = $config_directory/queue\n");
  auto cf = MainCf::load(dir.path);
  REQUIRE(cf);
  CHECK(cf->config_dir() == dir.path);
  CHECK(cf->get("config_directory") == dir.path);
  CHECK(cf->get("queue_directory") == dir.path + "/queue");
}

TEST_CASE("config: a parameter used only by master.cf -o is a user-defined parameter", "[config]") {
  TempDir dir;
  dir.write("main.cf", "mua_banner = submission ready\n");
  CHECK(MainCf::load(dir.path).error().message == dir.path + "/main.cf:1: unknown parameter: mua_banner");
  dir.write("master.cf", "submission inet n - n - - smtpd\n  -o smtpd_banner=$mua_banner\n");
  auto cf = MainCf::load(dir.path);
  REQUIRE(cf);
  auto services = load_master_cf(dir.path, *cf);
  REQUIRE(services);
  REQUIRE(services->size() == 1);
  CHECK((*services)[0].overrides == std::vector<std::pair<std::string, std::string>>{{"smtpd_banner", "$mua_banner"}});
  auto svc = load_for_service(dir.path, (*services)[0].overrides);
  REQUIRE(svc);
  CHECK(svc->get("smtpd_banner") == "submission ready");
}

TEST_CASE("config: master.cf services have their per-transport limits", "[config]") {
  TempDir dir;
  dir.write("main.cf", "slow_destination_concurrency_limit = 1\nslow_destination_recipient_limit = 5\n");
  CHECK(MainCf::load(dir.path).error().message ==
        dir.path + "/main.cf:1: unknown parameter: slow_destination_concurrency_limit");
  dir.write("master.cf", "slow      unix  -       -       n       -       -       local\n");
  auto cf = MainCf::load(dir.path);
  REQUIRE(cf);
  CHECK(cf->get("slow_destination_concurrency_limit") == "1");
  CHECK(cf->get("slow_destination_recipient_limit") == "5");
  dir.write("main.cf", "fast_destination_concurrency_limit = 1\n");
  CHECK_FALSE(MainCf::load(dir.path).ok());
}

TEST_CASE("config: conf -e knows the per-service parameters of master.cf services", "[config]") {
  TempDir dir;
  dir.write("main.cf", "");
  auto cf = MainCf::load(dir.path);
  REQUIRE(cf);
  CHECK(cf->set("slow_destination_concurrency_limit", "1").error().message ==
        "unknown parameter: slow_destination_concurrency_limit");
  dir.write("master.cf", "slow      unix  -       -       n       -       -       local\n");
  cf = MainCf::load(dir.path);
  REQUIRE(cf);
  CHECK(cf->set("slow_destination_concurrency_limit", "1").ok());
  CHECK(cf->get("slow_destination_concurrency_limit") == "1");
  CHECK_FALSE(cf->set("fast_destination_concurrency_limit", "1").ok());
  REQUIRE(edit_main_cf(dir.path, "slow_destination_recipient_limit", "3").ok());
  CHECK(MainCf::load(dir.path)->get("slow_destination_recipient_limit") == "3");
}

TEST_CASE("config: config_dir_from: -c, then MAIL_CONFIG, then the built-in default", "[config]") {
  const char* saved = std::getenv("MAIL_CONFIG");
  std::string keep = saved ? saved : "";
  ::setenv("MAIL_CONFIG", "/from/env", 1);
  CHECK(config_dir_from("/from/dash/c") == "/from/dash/c");
  CHECK(config_dir_from(nullptr) == "/from/env");
  CHECK(config_dir_from("") == "/from/env");
  ::unsetenv("MAIL_CONFIG");
  CHECK(config_dir_from(nullptr) == BUZON_CONFIG_DIR);
  if (saved) ::setenv("MAIL_CONFIG", keep.c_str(), 1);
}

// ---- conf -e -----------------------------------------------------------------

TEST_CASE("config: edit_main_cf replaces in place, continuation lines included", "[config]") {
  TempDir dir;
  std::string before =
      "# head comment\n"
      "myorigin = old\n"
      "    still.old\n"
      "# middle comment\n"
      "mail_name = X\n"
      "\n"
      "# tail\n";
  dir.write("main.cf", before);
  ::chmod((dir.path + "/main.cf").c_str(), 0640);
  REQUIRE(edit_main_cf(dir.path, "myorigin", "new.example"));
  CHECK(dir.read("main.cf") ==
        "# head comment\n"
        "myorigin = new.example\n"
        "# middle comment\n"
        "mail_name = X\n"
        "\n"
        "# tail\n");
  struct stat st;
  REQUIRE(::stat((dir.path + "/main.cf").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(MainCf::load(dir.path)->get("myorigin") == "new.example");
  // No temporary file is left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) entries += e.is_regular_file();
  CHECK(entries == 1);
}

TEST_CASE("config: edit_main_cf appends and drops later duplicate definitions", "[config]") {
  TempDir dir;
  dir.write("main.cf", "# c\nmail_name = A\nmyorigin = o\nmail_name = B\n  b2\n# end");
  REQUIRE(edit_main_cf(dir.path, "mail_name", "C"));
  CHECK(dir.read("main.cf") == "# c\nmail_name = C\nmyorigin = o\n# end");
  REQUIRE(edit_main_cf(dir.path, "home_mailbox", "Maildir/"));
  CHECK(dir.read("main.cf") == "# c\nmail_name = C\nmyorigin = o\n# end\nhome_mailbox = Maildir/\n");
  REQUIRE(edit_main_cf(dir.path, "home_mailbox", ""));
  CHECK(dir.read("main.cf") == "# c\nmail_name = C\nmyorigin = o\n# end\nhome_mailbox =\n");
}

TEST_CASE("config: edit_main_cf refuses edits that would not load", "[config]") {
  TempDir dir;
  std::string before = "# keep me\nmyorigin = o\n";
  dir.write("main.cf", before);
  CHECK(edit_main_cf(dir.path, "disable_vrfy_command", "maybe").error().message ==
        dir.path + "/main.cf:3: bad boolean value for disable_vrfy_command: maybe");
  CHECK(edit_main_cf(dir.path, "home_mailboxx", "x").error().message ==
        dir.path + "/main.cf:3: unknown parameter: home_mailboxx");
  CHECK(edit_main_cf(dir.path, "myorigin", "a\nmail_name = evil").error().message ==
        "bad value for myorigin: contains a line break or NUL");
  CHECK(edit_main_cf(dir.path, "bad name", "x").error().message == "bad parameter name: bad name");
  CHECK(dir.read("main.cf") == before);
}

TEST_CASE("config: edit_main_cf creates a missing main.cf", "[config]") {
  TempDir dir;
  REQUIRE(edit_main_cf(dir.path, "myhostname", "mail.example.org"));
  CHECK(dir.read("main.cf") == "myhostname = mail.example.org\n");
  CHECK_FALSE(edit_main_cf(dir.path + "/no/such/dir", "myhostname", "x"));
}

// ---- master.cf -------------------------------------------------------------------

TEST_CASE("master.cf: '-' selects the defaults", "[config][master]") {
  auto s = master_must("smtp inet - - - - - smtpd\n");
  REQUIRE(s.size() == 1);
  CHECK(s[0].name == "smtp");
  CHECK(s[0].type == "inet");
  CHECK(s[0].is_private);
  CHECK(s[0].unprivileged);
  CHECK_FALSE(s[0].chroot);
  CHECK(s[0].wakeup == 0);
  CHECK(s[0].maxproc == 100);
  CHECK(s[0].command == "smtpd");
  CHECK(s[0].args.empty());
  CHECK(s[0].overrides.empty());
  CHECK(s[0].file == "master.cf");
  CHECK(s[0].line == 1);
  // maxproc '-' is default_process_limit from main.cf.
  CHECK(master_must("smtp inet - - - - - smtpd\n", must("default_process_limit = 7"))[0].maxproc == 7);
}

TEST_CASE("master.cf: explicit columns", "[config][master]") {
  auto s = master_must(
      "# service type private unpriv chroot wakeup maxproc command\n"
      "\n"
      "qmgr      unix  n       n       n       300     1       qmgr\n"
      "pickup    unix  y       -       n       60?     0       pickup\n"
      "127.0.0.1:10025 inet n - n - 5 smtpd\n");
  REQUIRE(s.size() == 3);
  CHECK_FALSE(s[0].is_private);
  CHECK_FALSE(s[0].unprivileged);
  CHECK_FALSE(s[0].chroot);
  CHECK(s[0].wakeup == 300);
  CHECK(s[0].maxproc == 1);
  CHECK(s[0].line == 3);
  CHECK(s[1].is_private);
  CHECK(s[1].wakeup == 60);
  CHECK(s[1].maxproc == 0);
  CHECK(s[2].name == "127.0.0.1:10025");
  CHECK(s[2].maxproc == 5);
  CHECK(s[2].line == 5);
}

TEST_CASE("master.cf: continuation lines and -o overrides", "[config][master]") {
  auto s = master_must(
      "submission inet n - n - - smtpd\n"
      "  -o smtpd_timeout=60s\n"
      "# a comment inside the entry\n"
      "\t-o disable_vrfy_command=no -osmtpd_recipient_limit=10\n"
      "  -o { smtpd_banner = $myhostname says hi }\n"
      "  -v extra arg -o not_an_option\n"
      "smtp inet n - n - - smtpd\n");
  REQUIRE(s.size() == 2);
  CHECK(s[0].overrides == std::vector<std::pair<std::string, std::string>>{
                              {"smtpd_timeout", "60s"},
                              {"disable_vrfy_command", "no"},
                              {"smtpd_recipient_limit", "10"},
                              {"smtpd_banner", "$myhostname says hi"}});
  // Options end at the first non-option word, as getopt() sees them.
  CHECK(s[0].args == std::vector<std::string>{"-v", "extra", "arg", "-o", "not_an_option"});
  CHECK(s[0].line == 1);
  CHECK(s[1].line == 7);
}

TEST_CASE("master.cf: bad -o overrides are errors with file:line", "[config][master]") {
  CHECK(master_err("smtp inet - - - - - smtpd\n\nsub unix - - - - - smtpd -o no_such=1\n") ==
        "master.cf:3: unknown parameter in -o: no_such");
  CHECK(master_err("x unix - - - - - smtpd -o smtpd_timeout=soon\n") ==
        "master.cf:1: -o smtpd_timeout=soon: bad time value for smtpd_timeout: soon (expected a number with unit s, m, h, d or w)");
  CHECK(master_err("x unix - - - - - smtpd -o disable_vrfy_command=maybe\n") ==
        "master.cf:1: -o disable_vrfy_command=maybe: bad boolean value for disable_vrfy_command: maybe");
  CHECK(master_err("x unix - - - - - smtpd -o smtpd_timeout\n") == "master.cf:1: -o argument without '=': smtpd_timeout");
  CHECK(master_err("x unix - - - - - smtpd -o\n") == "master.cf:1: -o without name=value");
  CHECK(master_err("x unix - - - - - smtpd -o { smtpd_banner = x\n") ==
        "master.cf:1: missing '}' in { smtpd_banner = x");
  CHECK(master_err("x unix - - - - - smtpd -o {smtpd_banner=x}y\n") ==
        "master.cf:1: text after '}' in {smtpd_banner=x}y");
}

TEST_CASE("master.cf: the type column must be inet or unix", "[config][master]") {
  CHECK(master_err("# c\nsmtp fifo - - - - - smtpd\n") == "master.cf:2: bad transport type: fifo (expected inet or unix)");
  CHECK(master_err("smtp INET - - - - - smtpd\n") == "master.cf:1: bad transport type: INET (expected inet or unix)");
}

TEST_CASE("master.cf: malformed columns", "[config][master]") {
  CHECK(master_err("smtp inet - - - - smtpd\n") ==
        "master.cf:1: too few fields (need 8, the last is the command): smtp inet - - - - smtpd");
  CHECK(master_err("smtp inet yes - - - - smtpd\n") == "master.cf:1: bad private field: yes (expected y, n or -)");
  CHECK(master_err("smtp inet - x - - - smtpd\n") == "master.cf:1: bad unpriv field: x (expected y, n or -)");
  CHECK(master_err("smtp inet - - Y - - smtpd\n") == "master.cf:1: bad chroot field: Y (expected y, n or -)");
  // Postfix's Debian master.cf has y for most services; here it is refused
  // with the reason, not a daemon that fails at its first message.
  CHECK(master_err("# c\nsmtp inet n - y - - smtpd\n") ==
        "master.cf:2: chroot y is not supported: the daemons read files outside queue_directory "
        "(passwd and alias files, maps, mailboxes, /dev/log); write n or -");
  CHECK(master_err("smtp inet - - - 5m - smtpd\n") == "master.cf:1: bad wakeup field: 5m (expected seconds, '-' or N?)");
  CHECK(master_err("smtp inet - - - ? - smtpd\n") == "master.cf:1: bad wakeup field: ? (expected seconds, '-' or N?)");
  CHECK(master_err("smtp inet - - - - -1 smtpd\n") == "master.cf:1: bad maxproc field: -1 (expected a number or -)");
  CHECK(master_err("  smtp inet - - - - - smtpd\n") ==
        "master.cf:1: continuation line without a preceding line: smtp inet - - - - - smtpd");
}

TEST_CASE("master.cf: service names", "[config][master]") {
  CHECK(master_err("127.0.0.1:10025 inet - - - - - smtpd\n") == "OK");
  CHECK(master_err("[::1]:10025 inet - - - - - smtpd\n") == "OK");
  CHECK(master_err("10025 inet - - - - - smtpd\n") == "OK");
  CHECK(master_err("65535 inet - - - - - smtpd\n") == "OK");
  CHECK(master_err("65536 inet - - - - - smtpd\n") == "master.cf:1: bad port number in inet service name: 65536");
  CHECK(master_err("0 inet - - - - - smtpd\n") == "master.cf:1: bad port number in inet service name: 0");
  CHECK(master_err("::1:25 inet - - - - - smtpd\n") ==
        "master.cf:1: bad inet service name (write an IPv6 address as [address]:port): ::1:25");
  CHECK(master_err(":25 inet - - - - - smtpd\n") == "master.cf:1: bad inet service name (empty host): :25");
  CHECK(master_err("host: inet - - - - - smtpd\n") == "master.cf:1: bad inet service name (empty port): host:");
  CHECK(master_err("no_such_service_name_xyz inet - - - - - smtpd\n") ==
        "master.cf:1: unknown service port in inet service name: no_such_service_name_xyz");
  if (getservbyname("smtp", "tcp")) {
    CHECK(master_err("smtp inet - - - - - smtpd\n") == "OK");
    CHECK(master_err("127.0.0.1:smtp inet - - - - - smtpd\n") == "OK");
  } else {
    WARN("no /etc/services entry for smtp: service name lookup not tested");
  }
  CHECK(master_err("submit unix n - n - - smtpd\n") == "OK");
  CHECK(master_err("../evil unix - - - - - smtpd\n") == "master.cf:1: bad unix service name: ../evil");
  CHECK(master_err(".hidden unix - - - - - smtpd\n") == "master.cf:1: bad unix service name: .hidden");
  CHECK(master_err(std::string(64, 'u') + " unix - - - - - local\n") == "OK");
  CHECK(master_err(std::string(65, 'u') + " unix - - - - - local\n") ==
        "master.cf:1: bad unix service name: " + std::string(65, 'u'));
}

TEST_CASE("master.cf: duplicate service name and type", "[config][master]") {
  CHECK(master_err("smtp inet - - - - - smtpd\nsmtp unix - - - - - smtp\n") == "OK");
  CHECK(master_err("smtp inet - - - - - smtpd\n# x\nsmtp inet n - - - - smtpd\n") ==
        "master.cf:3: duplicate service smtp/inet (first defined at line 1)");
}

TEST_CASE("master.cf: load_master_cf and load_for_service", "[config][master]") {
  TempDir dir;
  dir.write("main.cf", "smtpd_timeout = 300s\n");
  auto main = MainCf::load(dir.path);
  REQUIRE(main);
  auto missing = load_master_cf(dir.path, *main);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "open " + dir.path + "/master.cf: No such file or directory");
  dir.write("master.cf", "smtp inet - - - - - smtpd\nbad unix - - - - - smtpd -o x=1\n");
  auto bad = load_master_cf(dir.path, *main);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == dir.path + "/master.cf:2: unknown parameter in -o: x");

  auto svc = load_for_service(dir.path, {{"smtpd_timeout", "10s"}, {"mail_name", "Sub"}});
  REQUIRE(svc);
  CHECK(svc->get_time("smtpd_timeout") == std::chrono::seconds(10));
  CHECK(svc->get("smtpd_banner").ends_with("ESMTP Sub"));
  auto wrong = load_for_service(dir.path, {{"smtpd_timeout", "never"}});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message ==
        "-o smtpd_timeout=never: bad time value for smtpd_timeout: never (expected a number with unit s, m, h, d or w)");
}

// ---- main.cf(5) ---------------------------------------------------------------

TEST_CASE("config: every table parameter is documented in main.cf(5)", "[config][man]") {
  const char* srcdir = std::getenv("BUZON_SRCDIR");
  std::string path = srcdir ? std::string(srcdir) + "/man/main.cf.5" : "../man/main.cf.5";
  std::ifstream in(path);
  if (!in) {
    WARN("cannot read " << path << "; set BUZON_SRCDIR to check the man page");
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string man = ss.str();
  for (const auto& d : params()) {
    INFO("parameter " << d.name);
    CHECK(man.find("\n.IP \"\\fB" + std::string(d.name) + "\\fR ") != std::string::npos);
  }
}

// ---- the system configuration (conf/) ------------------------------------------

TEST_CASE("config: the system master.cf's POP3 block, uncommented, is a complete system-mode setup",
          "[config][master][pop3]") {
  const char* srcdir = std::getenv("BUZON_SRCDIR");
  std::string top = srcdir ? srcdir : "..";
  std::ifstream master_in(top + "/conf/master.cf"), main_in(top + "/conf/main.cf");
  if (!master_in || !main_in) {
    WARN("cannot read " << top << "/conf; set BUZON_SRCDIR to check the system configuration");
    return;
  }
  std::stringstream main_text;
  main_text << main_in.rdbuf();
  auto cf = MainCf::parse(main_text.str(), "main.cf", "/etc/buzon");
  REQUIRE(cf);
  // What an administrator does to enable POP3: remove the '#' of the
  // service lines and of their "-o" continuation lines.
  std::string text, line;
  bool in_pop3 = false;
  int uncommented = 0;
  while (std::getline(master_in, line)) {
    bool service = line.rfind("#pop3", 0) == 0;
    if (service) in_pop3 = true;
    else if (line.rfind("#  -o", 0) != 0) in_pop3 = false;
    if (in_pop3) {
      line.erase(0, 1);
      ++uncommented;
    }
    text += line + "\n";
  }
  CHECK(uncommented == 7);
  auto services = parse_master_cf(text, "master.cf", *cf);
  REQUIRE(services);
  auto find = [&](const std::string& name) -> const Service* {
    for (const auto& s : *services)
      if (s.name == name) return &s;
    return nullptr;
  };
  using O = std::vector<std::pair<std::string, std::string>>;
  const Service* pop3 = find("pop3");
  const Service* pop3s = find("pop3s");
  const Service* session = find("pop3-session");
  REQUIRE(pop3);
  REQUIRE(pop3s);
  REQUIRE(session);
  // The login processes parse network input: unprivileged (mail_owner),
  // and they hand logged-in clients to pop3-session.
  CHECK(pop3->type == "inet");
  CHECK(pop3->unprivileged);
  CHECK(pop3->command == "pop3d");
  CHECK(pop3->overrides == O{{"pop3d_session_service", "pop3-session"}});
  CHECK(pop3s->unprivileged);
  CHECK(pop3s->overrides == O{{"syslog_name", "buzon/pop3s"},
                              {"pop3d_tls_wrappermode", "yes"},
                              {"pop3d_session_service", "pop3-session"}});
  // pop3-session must be root to switch to each mailbox owner, and private.
  CHECK(session->type == "unix");
  CHECK(session->is_private);
  CHECK_FALSE(session->unprivileged);
  CHECK_FALSE(session->chroot);
  CHECK(session->command == "pop3-session");
}
