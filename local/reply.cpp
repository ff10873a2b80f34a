#include "local/reply.h"

namespace buzon::local {

attr::Message to_message(const Reply& r) {
  attr::Message m;
  m.set("status", static_cast<long long>(r.status)).set("dsn", r.dsn).set("reason", r.reason);
  return m;
}

attr::Message to_child_message(const Reply& r) {
  attr::Message m = to_message(r);
  if (!r.warning.empty()) m.set("warning", r.warning);
  return m;
}

Reply from_child_message(const attr::Message& m) {
  auto status = m.get_uint("status");
  auto dsn = m.get("dsn");
  auto reason = m.get("reason");
  if (!status || (*status != 0 && *status != 4 && *status != 5) || !dsn || !reason)
    return Reply::defer("4.3.0", "delivery process failed", "malformed reply from delivery process");
  Reply r{static_cast<int>(*status), std::string(*dsn), std::string(*reason), {}};
  if (auto w = m.get("warning")) r.warning = std::string(*w);
  return r;
}

}  // namespace buzon::local
