#include "qmgr/reply_check.h"

namespace buzon::qmgr {
namespace {

bool digits(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

bool dsn_ok(std::string_view dsn) {
  auto d1 = dsn.find('.');
  if (d1 != 1 || (dsn[0] != '2' && dsn[0] != '4' && dsn[0] != '5')) return false;
  auto d2 = dsn.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return false;
  return digits(dsn.substr(d1 + 1, d2 - d1 - 1), 3) && digits(dsn.substr(d2 + 1), 3);
}

ReplyCheck check_reply(const attr::Message& m) {
  ReplyCheck c;
  auto status = m.get_uint("status");
  if (!status || (*status != 0 && *status != 4 && *status != 5)) {
    c.reason = "malformed reply from local delivery agent";
    c.problem = "bad or missing status";
    return c;
  }
  c.status = static_cast<int>(*status);
  char cls = c.status == 0 ? '2' : static_cast<char>('0' + c.status);
  auto dsn = m.get("dsn");
  auto reason = m.get("reason");
  c.reason = reason ? std::string(*reason) : std::string();
  if (dsn && dsn_ok(*dsn) && (*dsn)[0] == cls) {
    c.dsn = std::string(*dsn);
    c.ok = reason.has_value();
    if (!c.ok) c.problem = "missing reason";
  } else {
    // Keep the agent's verdict, but never with a contradictory code.
    c.dsn = std::string(1, cls) + ".0.0";
    c.problem = "bad or missing dsn";
  }
  return c;
}

}  // namespace buzon::qmgr
