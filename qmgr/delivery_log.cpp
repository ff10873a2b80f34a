#include "qmgr/delivery_log.h"

#include <cmath>
#include <cstdio>

#include "lib/log/log.h"

namespace buzon::qmgr {

std::string format_delay(double s) {
  if (!(s > 0)) return "0";
  // Truncated, not rounded (as Postfix); the epsilon absorbs the binary
  // representation error of a difference of two wall-clock doubles.
  constexpr double kEps = 1e-6;
  char buf[64];
  if (s >= 10) std::snprintf(buf, sizeof buf, "%.0f", std::floor(s + kEps));
  else if (s >= 1) std::snprintf(buf, sizeof buf, "%.1f", std::floor(s * 10 + kEps) / 10);
  else std::snprintf(buf, sizeof buf, "%.2f", std::floor(s * 100 + kEps) / 100);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

namespace {

std::string delays(const Attempt& a) {
  return format_delay(a.activated - a.arrival) + "/" + format_delay(a.started - a.activated) + "/" +
         format_delay(a.connected - a.started) + "/" + format_delay(a.finished - a.connected);
}

}  // namespace

std::string format_attempt(const Attempt& a) {
  std::string status = a.status + " (" + a.reason + ")";
  std::string delay = format_delay(a.finished - a.arrival);
  if (!a.original.empty() && a.original != a.recipient)
    return log::format(a.queue_id, {{"to", "<" + a.recipient + ">"},
                                    {"orig_to", "<" + a.original + ">"},
                                    {"relay", a.relay},
                                    {"delay", delay},
                                    {"delays", delays(a)},
                                    {"dsn", a.dsn},
                                    {"status", status}});
  return log::format(a.queue_id, {{"to", "<" + a.recipient + ">"},
                                  {"relay", a.relay},
                                  {"delay", delay},
                                  {"delays", delays(a)},
                                  {"dsn", a.dsn},
                                  {"status", status}});
}

void log_attempt(const Attempt& a) { log::info(format_attempt(a)); }

}  // namespace buzon::qmgr
