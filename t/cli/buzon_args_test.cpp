#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/buzon_args.h"

using namespace buzon::cli;
using V = std::vector<std::string>;

TEST_CASE("buzon args: -c and the command", "[buzon_args]") {
  auto g = parse_global_args(V{"-c", "/tmp/x", "start"});
  REQUIRE(g);
  CHECK(g->config_dir == "/tmp/x");
  CHECK(g->command == "start");
  CHECK(g->args.empty());
  auto attached = parse_global_args(V{"-c/tmp/y", "conf", "-n", "myhostname"});
  REQUIRE(attached);
  CHECK(attached->config_dir == "/tmp/y");
  CHECK(attached->command == "conf");
  CHECK(attached->args == V{"-n", "myhostname"});
  auto none = parse_global_args(V{"status"});
  REQUIRE(none);
  CHECK_FALSE(none->config_dir);
}

TEST_CASE("buzon args: help, no command, bad options", "[buzon_args]") {
  CHECK(parse_global_args(V{"-h"})->help);
  CHECK(parse_global_args(V{"--help"})->help);
  auto empty = parse_global_args(V{});
  REQUIRE(empty);
  CHECK(empty->command.empty());
  CHECK_FALSE(empty->help);
  CHECK(parse_global_args(V{"-c"}).error().message == "option requires an argument: -c");
  CHECK(parse_global_args(V{"-x", "start"}).error().message == "invalid option: -x");
  CHECK(parse_global_args(V{"-c", "", "start"}).error().message == "-c: empty directory name");
  CHECK(parse_global_args(V{"--", "-odd"})->command == "-odd");
}

TEST_CASE("buzon args: init defaults", "[buzon_args][init]") {
  auto a = parse_init_args(V{"/tmp/inst"});
  REQUIRE(a);
  CHECK(a->dir == "/tmp/inst");
  CHECK(a->domain == "example.test");
  CHECK(a->port_base == 10000);
  REQUIRE(a->users.size() == 2);
  CHECK(a->users[0].name == "alice");
  CHECK_FALSE(a->users[0].password);
  CHECK(a->users[1].name == "bob");
  CHECK_FALSE(a->owner);
}

TEST_CASE("buzon args: init options, both spellings", "[buzon_args][init]") {
  auto a = parse_init_args(V{"--domain", "Mail.Example.ORG", "d", "--port-base=20000", "--user", "carol:s3cret",
                             "--user=dave", "--owner", "nobody"});
  REQUIRE(a);
  CHECK(a->dir == "d");
  CHECK(a->domain == "mail.example.org");
  CHECK(a->port_base == 20000);
  REQUIRE(a->users.size() == 2);
  CHECK(a->users[0].name == "carol");
  CHECK(a->users[0].password == "s3cret");
  CHECK(a->users[1].name == "dave");
  CHECK_FALSE(a->users[1].password);
  CHECK(a->owner == "nobody");
}

TEST_CASE("buzon args: init port base at the limit and one over", "[buzon_args][init][limit]") {
  CHECK(parse_init_args(V{"d", "--port-base", "0"})->port_base == 0);
  CHECK(parse_init_args(V{"d", "--port-base", std::to_string(kPortBaseMax)})->port_base == kPortBaseMax);
  CHECK_FALSE(parse_init_args(V{"d", "--port-base", std::to_string(kPortBaseMax + 1)}));
  CHECK_FALSE(parse_init_args(V{"d", "--port-base", "-1"}));
  CHECK_FALSE(parse_init_args(V{"d", "--port-base", "10k"}));
  CHECK_FALSE(parse_init_args(V{"d", "--port-base", ""}));
  CHECK(parse_init_args(V{"d", "--port-base"}).error().message == "option requires an argument: --port-base");
}

TEST_CASE("buzon args: init user names at the limit and one over", "[buzon_args][init][limit]") {
  std::string at(kUserNameMax, 'u');
  CHECK(parse_init_args(V{"d", "--user", at})->users[0].name == at);
  CHECK_FALSE(parse_init_args(V{"d", "--user", at + "u"}));
  CHECK(user_name_ok("a.b_c-9"));
  CHECK(user_name_ok("9lives"));
  CHECK_FALSE(user_name_ok(""));
  CHECK_FALSE(user_name_ok("Alice"));
  CHECK_FALSE(user_name_ok(".hidden"));
  CHECK_FALSE(user_name_ok("-dash"));
  CHECK_FALSE(user_name_ok("../etc"));
  CHECK_FALSE(user_name_ok("a b"));
  CHECK_FALSE(parse_init_args(V{"d", "--user", "a", "--user", "a:x"}));
  CHECK_FALSE(parse_init_args(V{"d", "--user", ":pw"}));
}

TEST_CASE("buzon args: init passwords at the limit and one over", "[buzon_args][init][limit]") {
  std::string at(kPasswordMax, 'p');
  CHECK(parse_init_args(V{"d", "--user", "u:" + at})->users[0].password == at);
  CHECK_FALSE(parse_init_args(V{"d", "--user", "u:" + at + "p"}));
  CHECK_FALSE(parse_init_args(V{"d", "--user", "u:"}));
  CHECK_FALSE(parse_init_args(V{"d", "--user", "u:a:b"}));       // passwd-file separator
  CHECK_FALSE(parse_init_args(V{"d", "--user", "u:a\nb"}));      // a second passwd line
}

TEST_CASE("buzon args: init domains (RFC 1035 host names)", "[buzon_args][init]") {
  CHECK(domain_ok("example.test"));
  CHECK(domain_ok("a-b.c"));
  CHECK(domain_ok("localhost"));
  CHECK(domain_ok(std::string(63, 'a') + ".b"));
  CHECK_FALSE(domain_ok(std::string(64, 'a') + ".b"));
  std::string long_name;
  while (long_name.size() + 4 <= 253) long_name += "abc.";
  long_name += std::string(253 - long_name.size(), 'x');
  CHECK(long_name.size() == 253);
  CHECK(domain_ok(long_name));
  CHECK_FALSE(domain_ok(long_name + "x"));
  CHECK_FALSE(domain_ok(""));
  CHECK_FALSE(domain_ok(".example"));
  CHECK_FALSE(domain_ok("example."));
  CHECK_FALSE(domain_ok("a..b"));
  CHECK_FALSE(domain_ok("-a.b"));
  CHECK_FALSE(domain_ok("a-.b"));
  CHECK_FALSE(domain_ok("a_b.c"));
  CHECK_FALSE(domain_ok("$mydomain"));
  CHECK_FALSE(parse_init_args(V{"d", "--domain", "bad domain"}));
}

TEST_CASE("buzon args: init directory names that would break the files", "[buzon_args][init]") {
  CHECK(parse_init_args(V{}).error().message == "missing directory");
  CHECK_FALSE(parse_init_args(V{"a", "b"}));
  for (const char* bad : {"/tmp/a b", "/tmp/a:b", "/tmp/$x", "/tmp/a,b", "/tmp/a\nb", "/tmp/#x"})
    CHECK_FALSE(parse_init_args(V{bad}));
  CHECK_FALSE(parse_init_args(V{"d", "--frobnicate"}));
  CHECK_FALSE(parse_init_args(V{"d", "--owner", "a/b"}));
}

TEST_CASE("buzon args: conf modes", "[buzon_args][conf]") {
  using M = ConfArgs::Mode;
  CHECK(parse_conf_args(V{})->mode == M::Effective);
  auto n = parse_conf_args(V{"-n", "myhostname", "mydomain"});
  REQUIRE(n);
  CHECK(n->mode == M::Explicit);
  CHECK(n->names == V{"myhostname", "mydomain"});
  CHECK(parse_conf_args(V{"-d"})->mode == M::Defaults);
  CHECK(parse_conf_args(V{"-M", "smtp"})->mode == M::Services);
  CHECK(parse_conf_args(V{"-nn"})->mode == M::Explicit);
  auto e = parse_conf_args(V{"-e", "a=b", "c = d e"});
  REQUIRE(e);
  CHECK(e->mode == M::Edit);
  CHECK(e->names == V{"a=b", "c = d e"});
  CHECK_FALSE(parse_conf_args(V{"-e"}));
  CHECK_FALSE(parse_conf_args(V{"-e", "novalue"}));
  CHECK_FALSE(parse_conf_args(V{"-e", "=x"}));
  CHECK_FALSE(parse_conf_args(V{"-n", "-d"}));
  CHECK_FALSE(parse_conf_args(V{"-nd"}));
  CHECK_FALSE(parse_conf_args(V{"-x"}));
  CHECK(parse_conf_args(V{"--", "-n"})->names == V{"-n"});
}

TEST_CASE("buzon args: queue", "[buzon_args]") {
  CHECK_FALSE(parse_queue_args(V{})->json);
  CHECK(parse_queue_args(V{"--json"})->json);
  CHECK(parse_queue_args(V{"-j"})->json);
  CHECK_FALSE(parse_queue_args(V{"--json", "delete"}));
}

TEST_CASE("buzon args: queue operations", "[buzon_args]") {
  using A = QueueArgs::Action;
  const std::string id = "6752A1B20A1B2C3D4";
  auto d = parse_queue_args(V{"delete", "ALL"});
  REQUIRE(d);
  CHECK(d->action == A::Delete);
  CHECK(d->all);
  auto h = parse_queue_args(V{"hold", id, id});
  REQUIRE(h);
  CHECK(h->action == A::Hold);
  CHECK(h->ids == V{id, id});
  CHECK(parse_queue_args(V{"release", id})->action == A::Release);
  CHECK(parse_queue_args(V{"requeue", "ALL"})->action == A::Requeue);
  CHECK(parse_queue_args(V{"show", id})->ids == V{id});
  CHECK_FALSE(parse_queue_args(V{"show"}));
  CHECK_FALSE(parse_queue_args(V{"show", "ALL"}));
  CHECK_FALSE(parse_queue_args(V{"show", id, id}));
  CHECK_FALSE(parse_queue_args(V{"delete"}));
  CHECK_FALSE(parse_queue_args(V{"delete", "ALL", id}));
  // Names that are not queue IDs never become paths.
  CHECK_FALSE(parse_queue_args(V{"delete", "../../etc/passwd"}));
  CHECK_FALSE(parse_queue_args(V{"delete", "6752a1b20a1b2c3d4"}));
  CHECK_FALSE(parse_queue_args(V{"purge", id}));
}
