#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/conf.h"
#include "lib/config/config.h"
#include "lib/core/strings.h"

using namespace buzon;
using namespace buzon::cli;
using M = ConfArgs::Mode;
using V = std::vector<std::string>;

namespace {

config::MainCf parse(const std::string& text) {
  auto cf = config::MainCf::parse(text, "/etc/buzon/main.cf", "/etc/buzon");
  INFO(text);
  REQUIRE(cf);
  return std::move(*cf);
}

size_t count_lines(const std::string& s) { return str::split(s, "\n").size(); }

}  // namespace

TEST_CASE("conf: name = value, and postconf's 'name =' for empty", "[conf]") {
  CHECK(format_param("myorigin", "$mydomain") == "myorigin = $mydomain\n");
  CHECK(format_param("relayhost", "") == "relayhost =\n");
}

TEST_CASE("conf: name=value splitting for -e", "[conf]") {
  CHECK(split_assignment("a=b") == std::pair<std::string, std::string>{"a", "b"});
  CHECK(split_assignment(" a = b c ") == std::pair<std::string, std::string>{"a", "b c"});
  CHECK(split_assignment("a=b=c") == std::pair<std::string, std::string>{"a", "b=c"});
  CHECK(split_assignment("a=") == std::pair<std::string, std::string>{"a", ""});
}

TEST_CASE("conf: -d prints the table defaults, sorted", "[conf]") {
  auto o = show_params(nullptr, M::Defaults, {});
  CHECK(o.warnings.empty());
  CHECK(count_lines(o.out) == config::params().size());
  CHECK(o.out.find("queue_directory = /var/spool/buzon\n") != std::string::npos);
  CHECK(o.out.find("myorigin = $myhostname\n") != std::string::npos);
  CHECK(o.out.find("home_mailbox =\n") != std::string::npos);
  auto lines = str::split(o.out, "\n");
  CHECK(std::is_sorted(lines.begin(), lines.end()));
}

TEST_CASE("conf: effective values are unexpanded; -n only explicit ones", "[conf]") {
  auto cf = parse("myorigin = $mydomain\nmydomain = example.test\nmy_helper = x\nmyhostname = mail.$my_helper\n");
  auto all = show_params(&cf, M::Effective, {});
  CHECK(all.warnings.empty());
  CHECK(all.out.find("myorigin = $mydomain\n") != std::string::npos);
  CHECK(all.out.find("myhostname = mail.$my_helper\n") != std::string::npos);
  CHECK(all.out.find("my_helper = x\n") != std::string::npos);  // user-defined, shown too
  CHECK(all.out.find("queue_directory = /var/spool/buzon\n") != std::string::npos);
  CHECK(count_lines(all.out) == config::params().size() + 1);
  // Computed defaults show as computed, as postconf does.
  CHECK(all.out.find("config_directory = /etc/buzon\n") != std::string::npos);
  auto plain = parse("");
  auto host = show_params(&plain, M::Effective, V{"myhostname"});
  CHECK(host.out.rfind("myhostname = ", 0) == 0);
  CHECK(host.out.size() > std::string("myhostname = \n").size());
  CHECK(show_params(nullptr, M::Defaults, V{"myhostname"}).out == "myhostname =\n");

  auto n = show_params(&cf, M::Explicit, {});
  CHECK(n.out == "my_helper = x\nmydomain = example.test\nmyhostname = mail.$my_helper\nmyorigin = $mydomain\n");
}

TEST_CASE("conf: named parameters, and unknown names", "[conf]") {
  auto cf = parse("myorigin = $mydomain\n");
  auto o = show_params(&cf, M::Effective, V{"queue_directory", "myorigin"});
  CHECK(o.out == "myorigin = $mydomain\nqueue_directory = /var/spool/buzon\n");
  CHECK(o.warnings.empty());

  auto d = show_params(nullptr, M::Defaults, V{"myorigin"});
  CHECK(d.out == "myorigin = $myhostname\n");

  auto n = show_params(&cf, M::Explicit, V{"myorigin", "queue_directory"});
  CHECK(n.out == "myorigin = $mydomain\n");  // known but not set: nothing
  CHECK(n.warnings.empty());

  auto bad = show_params(&cf, M::Effective, V{"home_mailboxx", "myorigin"});
  CHECK(bad.out == "myorigin = $mydomain\n");
  CHECK(bad.warnings == V{"unknown parameter: home_mailboxx"});
  CHECK(show_params(nullptr, M::Defaults, V{"nope"}).warnings.size() == 1);
  CHECK(show_params(&cf, M::Explicit, V{"nope"}).warnings.size() == 1);
}

TEST_CASE("conf: -M prints one normalised line per service", "[conf]") {
  config::Service s;
  s.name = "smtp";
  s.type = "inet";
  s.is_private = false;
  s.unprivileged = true;
  s.chroot = false;
  s.wakeup = 0;
  s.maxproc = 100;
  s.command = "smtpd";
  CHECK(format_service(s) == "smtp       inet  n       y       n       -       100     smtpd\n");
  s.name = "127.0.0.1:10587";
  s.overrides = {{"smtpd_tls_security_level", "encrypt"}, {"smtpd_sasl_auth_enable", "yes"}};
  s.args = {"-v"};
  CHECK(format_service(s) ==
        "127.0.0.1:10587 inet  n       y       n       -       100     smtpd -o smtpd_tls_security_level=encrypt "
        "-o smtpd_sasl_auth_enable=yes -v\n");
  config::Service q;
  q.name = "qmgr";
  q.type = "unix";
  q.is_private = false;
  q.wakeup = 300;
  q.maxproc = 1;
  q.command = "qmgr";
  CHECK(format_service(q) == "qmgr       unix  n       y       n       300     1       qmgr\n");
}

TEST_CASE("conf: -M output parses back to the same services", "[conf]") {
  auto cf = parse("");
  std::string text =
      "smtp inet n - n - - smtpd\n"
      "submit unix n - n - - smtpd\n"
      "  -o smtpd_timeout=60s\n"
      "qmgr unix n - n 300 1 qmgr\n"
      "local unix - n n - - local\n";
  auto first = config::parse_master_cf(text, "master.cf", cf);
  REQUIRE(first);
  std::string normalised;
  for (const auto& s : *first) normalised += format_service(s);
  auto again = config::parse_master_cf(normalised, "master.cf", cf);
  INFO(normalised);
  REQUIRE(again);
  REQUIRE(again->size() == first->size());
  for (size_t i = 0; i < first->size(); ++i) {
    const auto &a = (*first)[i], &b = (*again)[i];
    CHECK(a.name == b.name);
    CHECK(a.type == b.type);
    CHECK(a.is_private == b.is_private);
    CHECK(a.unprivileged == b.unprivileged);
    CHECK(a.chroot == b.chroot);
    CHECK(a.wakeup == b.wakeup);
    CHECK(a.maxproc == b.maxproc);
    CHECK(a.command == b.command);
    CHECK(a.overrides == b.overrides);
    CHECK(a.args == b.args);
  }
  std::string again_text;
  for (const auto& s : *again) again_text += format_service(s);
  CHECK(again_text == normalised);
}
