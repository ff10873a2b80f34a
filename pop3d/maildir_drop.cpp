#include "pop3d/maildir_drop.h"

#include <cstdio>

namespace buzon::pop3d {

std::string MaildirDrop::uidl(size_t i) const {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%08X%08X", folder_.messages()[i].uid, folder_.uidvalidity());
  return buf;
}

Result<MessageRange> MaildirDrop::open(size_t i) {
  auto fd = folder_.open_message(i);
  if (!fd) return fd.error();
  return MessageRange{std::move(*fd)};
}

Status MaildirDrop::commit(const std::vector<bool>& deleted, const std::vector<bool>& retrieved) {
  // Every change is tried even after a failure, so one bad file does not
  // keep the others from being deleted; the first error is reported.
  Status result;
  for (size_t i = 0; i < count(); ++i) {
    Status s;
    if (deleted[i]) {
      s = folder_.expunge(i);
    } else if (retrieved[i] && folder_.messages()[i].flags.find('S') == std::string::npos) {
      s = folder_.set_flags(i, folder_.messages()[i].flags + "S");
    }
    if (!s && result) result = s;
  }
  return result;
}

}  // namespace buzon::pop3d
