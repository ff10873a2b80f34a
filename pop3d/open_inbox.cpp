#include "pop3d/open_inbox.h"

#include <cerrno>
#include <ctime>

#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/mailbox/location.h"
#include "lib/users/users.h"
#include "pop3d/login_delay.h"
#include "pop3d/maildir_drop.h"
#include "pop3d/mbox_drop.h"

namespace buzon::pop3d {
namespace {

OpenedInbox failed(OpenedInbox out, const Error& e) {
  out.kind = e.sys_errno == EAGAIN ? OpenedInbox::Kind::InUse : OpenedInbox::Kind::Failed;
  out.error = e.message;
  return out;
}

}  // namespace

OpenedInbox open_inbox(const config::MainCf& cf, const std::string& user, const std::string& home,
                       const mailbox::LockPolicy& policy, std::chrono::seconds login_delay) {
  OpenedInbox out;
  mailbox::Owner owner{str::lower(user), home};
  if (owner.home.empty()) {
    // authd authenticated the name; local accounts are looked up lower
    // case, as local(8) delivers them.
    auto account = users::find(cf, owner.user);
    if (!account) return failed(std::move(out), account.error());
    if (!*account) return failed(std::move(out), Error{"no account for user " + str::sanitize(user, 64)});
    owner = {(*account)->name, (*account)->home};
  }
  auto loc = mailbox::location_for(cf, owner);
  if (!loc) return failed(std::move(out), loc.error());
  out.path = loc->inbox;
  if (loc->format == mailbox::Format::Maildir) {
    auto drop = MaildirDrop::open(loc->inbox);
    if (!drop) return failed(std::move(out), drop.error());
    out.drop = std::make_unique<MaildirDrop>(std::move(*drop));
  } else {
    auto drop = MboxDrop::open(loc->inbox, policy);
    if (!drop) return failed(std::move(out), drop.error());
    out.drop = std::make_unique<MboxDrop>(std::move(*drop));
  }
  if (login_delay.count() > 0) {
    // Checked with the session lock held. The stamp lives in the Maildir,
    // or for mbox in the home (else the mail directory): places the owner
    // can write, unlike the spool directory, and that exist before any
    // IMAP folder does.
    std::string dir = loc->format == mailbox::Format::Maildir ? loc->inbox : !owner.home.empty() ? owner.home : loc->root;
    if (dir.empty()) return failed(std::move(out), Error{"pop3d_login_delay: no home or mail directory to keep the login time in"});
    auto soon = login_too_soon(dir + "/" + kLoginStampName, login_delay, std::time(nullptr));
    if (!soon) return failed(std::move(out), soon.error());
    if (*soon) {
      out.drop.reset();  // releases the lock
      out.kind = OpenedInbox::Kind::TooSoon;
      return out;
    }
  }
  out.kind = OpenedInbox::Kind::Ok;
  return out;
}

}  // namespace buzon::pop3d
