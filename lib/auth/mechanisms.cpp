#include "lib/auth/mechanisms.h"

#include <chrono>
#include <memory>

#include "lib/attr/attr.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::auth {
namespace {

constexpr std::chrono::milliseconds kMechTimeout{2000};
constexpr std::chrono::seconds kMechCacheTime{60};

}  // namespace

std::function<std::vector<std::string>()> cached_mechanisms(std::string socket_path, bool keep_apop) {
  struct Cache {
    std::vector<std::string> list;
    std::chrono::steady_clock::time_point fetched{};
    bool valid = false;
  };
  auto cache = std::make_shared<Cache>();
  return [cache, path = std::move(socket_path), keep_apop]() -> std::vector<std::string> {
    auto now = std::chrono::steady_clock::now();
    if (cache->valid && now - cache->fetched < kMechCacheTime) return cache->list;
    cache->fetched = now;
    cache->valid = true;  // a failure is cached too: do not hammer a dead authd
    cache->list.clear();
    auto fd = attr::connect_unix(path);
    if (!fd) {
      log::warning("SASL: cannot connect to authd " + path + ": " + fd.error().message);
      return cache->list;
    }
    attr::Message req;
    req.set("request", "mechanisms");
    if (auto st = attr::write_message(fd->get(), req, kMechTimeout); !st) {
      log::warning("SASL: authd " + path + ": " + st.error().message);
      return cache->list;
    }
    auto reply = attr::read_message(fd->get(), kMechTimeout);
    if (!reply || reply->get("status") != "0") {
      log::warning("SASL: authd " + path + ": no mechanism list");
      return cache->list;
    }
    for (auto& m : str::split(reply->get("mechanisms").value_or(""), " "))
      if (keep_apop || m != "APOP") cache->list.push_back(std::move(m));
    return cache->list;
  };
}

}  // namespace buzon::auth
