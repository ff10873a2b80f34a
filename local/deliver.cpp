#include "local/deliver.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/privilege/privilege.h"
#include "lib/queue/queue.h"
#include "lib/users/users.h"

namespace buzon::local {

Result<Settings> Settings::from(const config::MainCf& cf) {
  Settings s;
  s.queue_dir = cf.get("queue_directory");
  s.spool_dir = cf.get("mail_spool_directory");
  s.home_mailbox = cf.get("home_mailbox");
  s.delimiters = cf.get("recipient_delimiter");
  s.hostname = cf.get("myhostname");
  s.mbox.fcntl_lock = s.mbox.flock_lock = s.mbox.dotlock = false;
  for (const auto& m : cf.get_list("mailbox_delivery_lock")) {
    if (m == "fcntl") s.mbox.fcntl_lock = true;
    else if (m == "flock") s.mbox.flock_lock = true;
    else if (m == "dotlock") s.mbox.dotlock = true;
    else return Error{"mailbox_delivery_lock: unknown locking method: " + m};
  }
  s.mbox.lock.attempts = static_cast<unsigned>(cf.get_int("deliver_lock_attempts"));
  s.mbox.lock.delay = cf.get_time("deliver_lock_delay");
  s.mbox.lock.stale = cf.get_time("stale_lock_time");
  s.mailbox_size_limit = cf.get_size("mailbox_size_limit");
  s.mbox.size_limit = s.mailbox_size_limit;
  s.message_size_limit = cf.get_size("message_size_limit");
  s.child_timeout = cf.get_time("ipc_timeout");
  return s;
}

Reply Deliverer::deliver(const Request& req) {
  std::string qpath = s_.queue_dir + "/" + req.queue_file;
  Fd fd(::open(qpath.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    Error e = sys_error("open " + qpath);
    return Reply::defer("4.3.0", "cannot open queue file", e.message);
  }
  auto env = queue::read_envelope(fd.get(), req.queue_id);
  if (!env) return Reply::defer("4.3.0", "cannot read queue file", env.error().message);

  const queue::Recipient* rcpt = nullptr;
  for (const auto& r : env->recipients)
    if (r.offset == req.offset) rcpt = &r;
  // The offset is where qmgr will mark the recipient done: it must be this
  // recipient's record, or the wrong recipient would be marked.
  if (!rcpt || rcpt->address != req.recipient)
    return Reply::defer("4.3.0", "recipient not found in queue file",
                        "request for <" + str::sanitize(req.recipient) + "> at offset " +
                            std::to_string(req.offset) + " does not match " + qpath);
  if (rcpt->done) return Reply::sent("already delivered");

  if (s_.message_size_limit != 0 && env->content_size > s_.message_size_limit)
    return Reply::bounce("5.2.3", "message file too big");

  std::string name = user_of(rcpt->address, s_.delimiters);
  // A lookup key with a slash or a leading dot could only name a file
  // outside the spool; no account has such a name.
  if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos)
    return Reply::bounce("5.1.1", "unknown user: \"" + str::sanitize(name) + "\"");
  auto user = users::find(cf_, name);
  if (!user) return Reply::defer("4.3.0", "user lookup failed", user.error().message);
  if (!user->has_value()) return Reply::bounce("5.1.1", "unknown user: \"" + str::sanitize(name) + "\"");
  const users::User& u = **user;

  auto target = target_for(u, s_.home_mailbox, s_.spool_dir);
  if (!target) return Reply::defer("4.3.0", "cannot determine mailbox", target.error().message);

  Message msg{env->sender,         rcpt->address,     fd.get(),          env->content_offset, env->content_size,
              req.queue_id,        rcpt->offset,      env->arrival_sec,  env->arrival_usec};
  ++counter_;  // in the parent, so children forked later get distinct values
  if (mode_ == Mode::InProcess) return write_mailbox(*target, msg);
  // Mail for uid 0 would be written with root's rights: the one thing local
  // must never do. Postfix maps root through aliases; until Buzón has them
  // the mail waits (deferred) instead of being written or lost.
  if (u.uid == 0)
    return Reply::defer("4.3.0", "refusing to deliver to a mailbox as root",
                        "mail for " + u.name + " (uid 0) needs an alias to an unprivileged user");
  return in_child(u, *target, msg);
}

Reply Deliverer::write_mailbox(const Target& t, const Message& msg) {
  if (t.kind == Kind::Maildir) {
    MaildirOptions o{s_.hostname, s_.mailbox_size_limit, counter_};
    return deliver_maildir(t.path, o, msg);
  }
  return deliver_mbox(t.path, s_.mbox, msg, ::time(nullptr));
}

Reply Deliverer::in_child(const users::User& u, const Target& t, const Message& msg) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return Reply::defer("4.3.0", "cannot create delivery process", sys_error("socketpair").message);
  Fd ours(sv[0]), theirs(sv[1]);
  pid_t pid = ::fork();
  if (pid < 0) return Reply::defer("4.3.0", "cannot create delivery process", sys_error("fork").message);
  if (pid == 0) {
    // The child: signal dispositions of the event loop must not fire here
    // (they would wake the parent's loop through the shared socketpair).
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
    ours.reset();
    Reply r;
    if (auto d = privilege::drop_to_ids(u.uid, u.gid, u.name); !d)
      r = Reply::defer("4.3.0", "cannot change to the recipient's rights", d.error().message);
    else
      r = write_mailbox(t, msg);
    (void)attr::write_message(theirs.get(), to_child_message(r), s_.child_timeout);
    ::_exit(0);
  }
  theirs.reset();
  auto m = attr::read_message(ours.get(), s_.child_timeout);
  if (!m) ::kill(pid, SIGKILL);  // timed out or died: make sure it is gone
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (m) return from_child_message(*m);
  std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "exit status " + std::to_string(WEXITSTATUS(status));
  return Reply::defer("4.3.0", "delivery process failed",
                      "delivery process " + std::to_string(pid) + " for " + u.name + ": " + m.error().message +
                          " (" + how + ")");
}

}  // namespace buzon::local
