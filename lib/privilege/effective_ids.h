// Acting as a user without forking: a root process switches its effective
// uid and gid (primary group only) to the user's, touches the user's files,
// and switches back. This is how Postfix's local(8) writes mailboxes
// (set_eugid); it saves a fork per delivery, which costs more than writing
// a small message.
//
// SECURITY  Only the effective ids change: the saved uid stays 0, so the
//           process can return to root. Use it only in code that does no
//           parsing beyond the file it writes; anything that runs a user's
//           command or interprets a user's file still forks and drops for
//           good (privilege::drop_to_ids).
// LIMITS    Not thread-safe: glibc changes the ids of every thread.
#pragma once
#include <sys/types.h>

#include <vector>

#include "lib/core/result.h"

namespace buzon::privilege {

class EffectiveIds {
 public:
  // Becomes uid/gid with no supplementary groups. Refuses uid 0. Without
  // root (instance mode) succeeds only when uid is already ours, and then
  // changes nothing. Check ok() before touching any file.
  EffectiveIds(uid_t uid, gid_t gid);
  // Back to root (real uid, gid and groups as before). Aborts if that
  // fails: a process stuck as some user would write the next user's mail
  // with the wrong rights.
  ~EffectiveIds();
  EffectiveIds(const EffectiveIds&) = delete;
  EffectiveIds& operator=(const EffectiveIds&) = delete;

  const Status& ok() const { return status_; }

 private:
  Status status_;
  bool switched_ = false;
  std::vector<gid_t> saved_groups_;
};

}  // namespace buzon::privilege
