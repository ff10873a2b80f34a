// One delivery request, start to finish, with Postfix local(8) semantics:
//   1. the recipient's local part (with, then without its extension) in
//      alias_maps; an alias expands to addresses (forwarded in a new queue
//      file), |commands, /files and :include: files;
//   2. otherwise the local account: its forward_path files (~/.forward),
//      then mailbox_command or the mailbox (mbox or Maildir);
//   3. no account: luser_relay, else a 5.1.1 bounce.
// Every copy written or forwarded gets Delivered-To: recipient; a message
// that already has it for this recipient bounces as a mail forwarding loop.
//
// Rights (system mode, local runs as root): mailboxes, files and
// .forward/:include: reads happen in this process with the user's
// effective uid and gid (Deliverer::acting_as, as Postfix's local does with
// set_eugid); commands and forwarding run in a child that has dropped
// privileges for good (Deliverer::as) — mailbox_command as the recipient,
// alias commands and files as the alias table's owner, or default_privs
// when root owns it, forwarding as mail_owner, who owns the queue
// directory. No mailbox or user file is touched and no command runs as
// uid 0. In instance mode everything runs in-process as the invoking user.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/map/map.h"
#include "lib/queue/queue.h"
#include "local/forward.h"
#include "local/maildir.h"
#include "local/mbox.h"
#include "local/reply.h"
#include "local/request.h"
#include "local/target.h"
#include "local/targets.h"

namespace buzon::local {

struct Settings {
  std::string queue_dir;     // queue_directory
  std::string spool_dir;     // mail_spool_directory
  std::string home_mailbox;
  std::string delimiters;    // recipient_delimiter
  std::string hostname;      // myhostname, for Maildir names
  std::string myorigin;      // domain of unqualified alias targets
  MboxOptions mbox;          // mailbox_delivery_lock, deliver_lock_*, stale_lock_time, mailbox_size_limit
  unsigned long long mailbox_size_limit = 0;
  unsigned long long message_size_limit = 0;
  unsigned long long header_size_limit = 102400;
  std::chrono::milliseconds child_timeout{3600 * 1000};  // ipc_timeout
  std::vector<std::string> alias_maps;
  std::vector<std::string> forward_path;    // unexpanded elements
  std::string luser_relay;                  // unexpanded
  std::string mailbox_command;
  std::vector<std::string> allow_commands;  // alias, forward, include
  std::vector<std::string> allow_files;
  std::chrono::seconds command_time_limit{1000};
  std::vector<std::string> export_environment;
  std::string mail_owner;
  std::string default_privs;

  // Error on an unknown mailbox_delivery_lock method.
  static Result<Settings> from(const config::MainCf& cf);
};

enum class Mode { InProcess, ForkAndDrop };

// Whose rights an action runs with.
struct Rights {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;   // for initgroups and messages
  std::string home;   // HOME of commands
  std::string shell;  // SHELL of commands
};

class Deliverer {
 public:
  // cf must outlive the Deliverer (users::find reads local_passwd_file).
  Deliverer(const config::MainCf& cf, Settings s, Mode mode) : cf_(cf), s_(std::move(s)), mode_(mode) {}
  // Never fails: every outcome is a Reply (status 0, 4 or 5). Reply.warning
  // carries what local should log. With unsynced, the Maildir files written
  // are left there for the caller to fsync (event::AsyncFsync), and the
  // Reply stands only if every one of them syncs; sync_failed() gives the
  // reply for one that does not.
  Reply deliver(const Request& req, std::vector<UnsyncedFile>* unsynced = nullptr);
  // Removes a file whose fsync failed, with its owner's rights, and
  // returns the reply to send instead.
  Reply sync_failed(const UnsyncedFile& f, int err);

 private:
  struct Job;  // one request: queue file, envelope, recipient, parts of its address
  enum class Origin { Alias, Forward, Include };
  struct Context {  // where a list of destinations came from
    Origin origin;
    Rights rights;       // for commands, files and :include: files
    std::string self;    // a destination naming this user means its mailbox
    std::string sender;  // of forwarded copies
    int depth = 0;       // :include: nesting
  };

  Reply resolve(Job& job);
  Reply deliver_user(Job& job, bool use_forward);
  Reply deliver_mailbox(Job& job, const users::User& u);
  Reply expand(Job& job, const std::vector<TargetItem>& items, const Context& ctx);
  Reply deliver_file(Job& job, const std::string& path, const Rights& rights);
  Reply deliver_command(Job& job, const std::string& command, const Rights& rights, const users::User* u);
  Reply forward(Job& job, const std::vector<std::string>& to, const std::string& sender);
  // fn after the Delivered-To loop check.
  Reply loop_checked(Job& job, const std::function<Reply()>& fn);
  // Runs fn with the given rights: in a child after dropping privileges
  // for good (ForkAndDrop: commands and forwarding, which run a user's
  // program or queue mail) or in-process (InProcess). The loop check
  // comes first.
  Reply as(Job& job, const Rights& r, const std::function<Reply()>& fn);
  // Mailbox and file writes: fn in this process with the given effective
  // ids (privilege::EffectiveIds, Postfix's set_eugid), which saves a
  // fork per delivery; back to root afterwards. The loop check first.
  Reply acting_as(Job& job, const Rights& r, const std::function<Reply()>& fn);
  // Reads the first existing file of paths with the given rights
  // (.forward candidates, an :include: file), in-process with the user's
  // effective ids in system mode:
  // {path, content}, nullopt when none exists, Error when one cannot be
  // read, is not a plain file (owned by the user or root, when asked) or
  // is over max bytes. At most 255 paths.
  Result<std::optional<std::pair<std::string, std::string>>> read_first_as(const Rights& r,
                                                                           const std::vector<std::string>& paths,
                                                                           size_t max, bool must_be_owned);
  Result<Rights> alias_rights(const map::Table& t);
  Result<Rights> account_rights(const std::string& name);
  Status open_aliases();
  Reply write_mailbox(const Job& job, const Target& t, const Rights& r);
  MaildirOptions maildir_options(const Job& job, const Rights& r);

  const config::MainCf& cf_;
  Settings s_;
  Mode mode_;
  unsigned long counter_ = 0;
  std::vector<std::unique_ptr<map::Table>> aliases_;
  bool aliases_open_ = false;
};

// Combines the outcomes of several destinations of one recipient: any
// deferral defers the recipient (qmgr retries), else any bounce bounces it,
// else it was delivered.
Reply combine(const Reply& a, const Reply& b);

}  // namespace buzon::local
