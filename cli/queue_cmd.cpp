// buzon queue, mailq, sendmail -bp: the listing of queue_list.h; buzon
// queue show (queue_show.h) and delete|hold|release|requeue (queue_ops.h).
#include <cstdio>

#include "cli/buzon_args.h"
#include "cli/commands.h"
#include "cli/queue_list.h"
#include "cli/queue_ops.h"
#include "cli/queue_show.h"
#include "lib/config/config.h"
#include "lib/queue/queue.h"

namespace buzon::cli {

int run_queue_list(const config::MainCf& cf, bool json, const char* prog) {
  auto listing = scan_queue(cf.get("queue_directory"));
  if (!listing) {
    std::fprintf(stderr, "%s: fatal: %s\n", prog, listing.error().message.c_str());
    return 1;
  }
  std::fflush(stdout);
  for (const auto& w : listing->warnings) std::fprintf(stderr, "%s: warning: %s\n", prog, w.c_str());
  std::string out = json ? format_json(listing->messages) : format_mailq(listing->messages);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

namespace {

struct OpWords {
  const char* done;     // per message: "ID: removed"
  const char* summary;  // "Deleted: 3 messages"
};

OpWords words(QueueOp op) {
  switch (op) {
    case QueueOp::Delete: return {"removed", "Deleted"};
    case QueueOp::Hold: return {"placed on hold", "Placed on hold"};
    case QueueOp::Release: return {"released from hold", "Released from hold"};
    case QueueOp::Requeue: return {"requeued", "Requeued"};
  }
  return {"", ""};
}

// postsuper's output: one line per message on stderr, then the count.
int run_queue_op(const config::MainCf& cf, QueueOp op, const QueueArgs& a) {
  std::string qdir = cf.get("queue_directory");
  std::vector<std::string> ids = a.ids;
  if (a.all) {
    auto all = ids_for_all(qdir, op);
    if (!all) {
      std::fprintf(stderr, "buzon: fatal: %s\n", all.error().message.c_str());
      return 1;
    }
    ids = std::move(*all);
  }
  int status = 0;
  size_t n = 0;
  for (const auto& id : ids) {
    auto r = apply_op(qdir, op, id);
    if (!r) {
      std::fprintf(stderr, "buzon: warning: %s: %s\n", id.c_str(), r.error().message.c_str());
      status = 1;
      continue;
    }
    switch (r->outcome) {
      case OpOutcome::Done:
        ++n;
        std::fprintf(stderr, "buzon: %s: %s\n", id.c_str(), words(op).done);
        break;
      case OpOutcome::Busy:
        std::fprintf(stderr, "buzon: warning: %s: being delivered (active queue); try again later\n", id.c_str());
        status = 1;
        break;
      case OpOutcome::WrongQueue:
        // ALL only lists the source queues, so this is a named ID.
        std::fprintf(stderr, "buzon: warning: %s: in the %s queue, nothing to do\n", id.c_str(), r->from.c_str());
        if (!a.all) status = 1;
        break;
      case OpOutcome::NotFound:
        if (!a.all) {
          std::fprintf(stderr, "buzon: warning: %s: no such message in the queue\n", id.c_str());
          status = 1;
        }
        break;
    }
  }
  std::fprintf(stderr, "buzon: %s: %zu message%s\n", words(op).summary, n, n == 1 ? "" : "s");
  // Requeued mail is in incoming/: wake qmgr so it does not wait for its
  // next scan. A stopped mail system picks it up when started.
  if (op == QueueOp::Requeue && n > 0) (void)queue::trigger_qmgr(qdir, 'W');
  return status;
}

}  // namespace

int cmd_queue(const std::string& config_dir, std::span<const std::string> args) {
  auto a = parse_queue_args(args);
  if (!a) {
    std::fprintf(stderr,
                 "buzon: fatal: queue: %s\nusage: buzon queue [--json] | show ID | "
                 "delete|hold|release|requeue ID...|ALL\n",
                 a.error().message.c_str());
    return 1;
  }
  auto cf = config::MainCf::load(config_dir);
  if (!cf) {
    std::fprintf(stderr, "buzon: fatal: %s\n", cf.error().message.c_str());
    return 1;
  }
  using A = QueueArgs::Action;
  switch (a->action) {
    case A::List: return run_queue_list(*cf, a->json, "buzon");
    case A::Show:
      if (auto s = show_message(cf->get("queue_directory"), a->ids[0], stdout); !s) {
        std::fflush(stdout);
        std::fprintf(stderr, "buzon: fatal: %s\n", s.error().message.c_str());
        return 1;
      }
      return 0;
    case A::Delete: return run_queue_op(*cf, QueueOp::Delete, *a);
    case A::Hold: return run_queue_op(*cf, QueueOp::Hold, *a);
    case A::Release: return run_queue_op(*cf, QueueOp::Release, *a);
    case A::Requeue: return run_queue_op(*cf, QueueOp::Requeue, *a);
  }
  return 1;
}

}  // namespace buzon::cli
