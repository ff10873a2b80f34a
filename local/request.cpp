#include "local/request.h"

#include "lib/core/strings.h"
#include "lib/queue/queue.h"

namespace buzon::local {

Result<Request> parse_request(const attr::Message& m) {
  auto kind = m.get("request");
  if (!kind || *kind != "deliver") return Error{"bad request: expected request=deliver"};
  Request r;
  auto id = m.get("queue_id");
  if (!id || !queue::id_ok(*id)) return Error{"bad queue_id"};
  r.queue_id = std::string(*id);
  auto file = m.get("queue_file");
  if (!file) return Error{"bad queue_file: missing"};
  // Only the exact forms qmgr produces; anything else could name a file
  // outside the queue or one qmgr does not own.
  if (*file != "active/" + r.queue_id && *file != "deferred/" + r.queue_id) return Error{"bad queue_file"};
  r.queue_file = std::string(*file);
  auto offset = m.get_uint("offset");
  // Offset 0 is the V record: a recipient record never starts there.
  if (!offset || *offset == 0) return Error{"bad offset"};
  r.offset = static_cast<off_t>(*offset);
  auto rcpt = m.get("recipient");
  if (!rcpt || rcpt->empty()) return Error{"bad recipient"};
  r.recipient = std::string(*rcpt);
  if (auto o = m.get("original_recipient")) r.original_recipient = std::string(*o);
  if (auto s = m.get("sender")) r.sender = std::string(*s);
  return r;
}

std::string user_of(std::string_view recipient, std::string_view delimiters) {
  std::string_view local = recipient;
  if (auto at = local.rfind('@'); at != std::string_view::npos) local = local.substr(0, at);
  if (!delimiters.empty()) {
    auto d = local.find_first_of(delimiters);
    if (d != std::string_view::npos && d > 0) local = local.substr(0, d);
  }
  return str::lower(local);
}

}  // namespace buzon::local
