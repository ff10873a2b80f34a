// buzon queue delete|hold|release|requeue: postsuper -d/-h/-H/-r.
//
// Locking: there is no lock file. Every operation is one rename(2) or
// unlink(2) of a file in incoming/, deferred/ or hold/, the same atomic
// steps qmgr uses to take a file into active/: if qmgr activates a file
// first, the operation finds it gone and looks again (a file is in exactly
// one queue at any moment). Files in active/ belong to the running qmgr,
// which has recipients of them in flight and writes to them; they are left
// alone and reported ("being delivered"), and the operation can be
// repeated once qmgr has moved the file back to deferred/ or removed it.
// This way a delivery in progress can never find its file gone, and no
// message is ever both delivered and deleted or held.
//
//   delete   removes the queue file and its defer log (postsuper -d)
//   hold     incoming/ or deferred/ -> hold/: no delivery attempts (-h)
//   release  hold/ -> deferred/, due at once on the next queue run (-H)
//   requeue  incoming/, deferred/ or hold/ -> incoming/, its delay reasons
//            forgotten, qmgr woken (-r)
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::cli {

enum class QueueOp { Delete, Hold, Release, Requeue };

// The queues an operation takes messages from, in the order searched.
std::vector<std::string_view> op_sources(QueueOp op);

// Where a message is now: "incoming", "active", "deferred", "hold", or ""
// when it is in none of them.
std::string locate(const std::string& queue_dir, std::string_view id);

enum class OpOutcome { Done, NotFound, Busy, WrongQueue };

struct OpResult {
  OpOutcome outcome = OpOutcome::NotFound;
  std::string from;  // the queue it was in
};

// Applies op to one message (id must satisfy queue::id_ok). Errors are
// system errors other than the message having moved.
Result<OpResult> apply_op(const std::string& queue_dir, QueueOp op, std::string_view id);

// Every message op_sources(op) holds, in queue ID order (for ALL).
Result<std::vector<std::string>> ids_for_all(const std::string& queue_dir, QueueOp op);

}  // namespace buzon::cli
