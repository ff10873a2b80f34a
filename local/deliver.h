// One delivery request, start to finish: open the queue file named by the
// request, check the recipient against its envelope, look the user up,
// pick the mailbox and write it. In system mode (root) the mailbox is
// written by a child that has become the recipient (privilege::drop_to_ids)
// and reports back over a socketpair; mailbox files are never opened as
// root. In instance mode the invoking user writes in-process.
#pragma once
#include <chrono>
#include <string>

#include "lib/config/config.h"
#include "local/maildir.h"
#include "local/mbox.h"
#include "local/reply.h"
#include "local/request.h"
#include "local/target.h"

namespace buzon::local {

struct Settings {
  std::string queue_dir;     // queue_directory
  std::string spool_dir;     // mail_spool_directory
  std::string home_mailbox;
  std::string delimiters;    // recipient_delimiter
  std::string hostname;      // myhostname, for Maildir names
  MboxOptions mbox;          // mailbox_delivery_lock, deliver_lock_*, stale_lock_time, mailbox_size_limit
  unsigned long long mailbox_size_limit = 0;
  unsigned long long message_size_limit = 0;
  std::chrono::milliseconds child_timeout{3600 * 1000};  // ipc_timeout

  // Error on an unknown mailbox_delivery_lock method.
  static Result<Settings> from(const config::MainCf& cf);
};

enum class Mode { InProcess, ForkAndDrop };

class Deliverer {
 public:
  // cf must outlive the Deliverer (users::find reads local_passwd_file).
  Deliverer(const config::MainCf& cf, Settings s, Mode mode) : cf_(cf), s_(std::move(s)), mode_(mode) {}
  // Never fails: every outcome is a Reply (status 0, 4 or 5). Reply.warning
  // carries what local should log.
  Reply deliver(const Request& req);

 private:
  Reply write_mailbox(const Target& t, const Message& msg);
  Reply in_child(const users::User& u, const Target& t, const Message& msg);
  const config::MainCf& cf_;
  Settings s_;
  Mode mode_;
  unsigned long counter_ = 0;
};

}  // namespace buzon::local
