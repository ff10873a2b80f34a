#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/core/strings.h"

using namespace buzon;

TEST_CASE("core: Fd closes on destruction and moves ownership", "[core]") {
  int raw = ::open("/dev/null", O_RDONLY);
  REQUIRE(raw >= 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    CHECK_FALSE(a.valid());
    CHECK(b.get() == raw);
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);
}

TEST_CASE("core: Result carries a value or an error", "[core]") {
  Result<int> good(5);
  CHECK(good.ok());
  CHECK(*good == 5);
  errno = ENOENT;
  Result<int> bad(sys_error("open /x"));
  CHECK_FALSE(bad);
  CHECK(bad.error().message == "open /x: No such file or directory");
  CHECK(bad.error().sys_errno == ENOENT);
  Status s;
  CHECK(s.ok());
}

TEST_CASE("core: string helpers", "[core]") {
  CHECK(str::trim("  a b \t") == "a b");
  CHECK(str::lower("AbC") == "abc");
  CHECK(str::iequals("Example.TEST", "example.test"));
  CHECK_FALSE(str::iequals("a", "ab"));
  CHECK(str::istarts_with("MAIL FROM:", "mail from"));
  CHECK(str::split("a, b,,c", ", ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(str::sanitize("a\r\nb") == "a??b");
  CHECK(str::sanitize("abcdef", 3) == "abc...");
  CHECK(str::sanitize("café") == "café");
  CHECK(str::to_uint("0") == 0u);
  CHECK(str::to_uint("123456789012345678") == 123456789012345678ull);
  CHECK_FALSE(str::to_uint("1234567890123456789"));
  CHECK_FALSE(str::to_uint(""));
  CHECK_FALSE(str::to_uint("12a"));
  CHECK_FALSE(str::to_uint("-1"));
}
