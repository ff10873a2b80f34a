// local's service loop: daemon::Server with client_limit 1 (qmgr holds one
// connection per concurrent delivery, master forks one local per
// connection), a Session per connection.
#pragma once
#include "lib/daemon/daemon.h"

namespace buzon::local {

int serve(daemon::Context& ctx);

}  // namespace buzon::local
