// buzon - Buzon mail system control (1)
// SYNOPSIS  buzon init DIR [--domain D] [--port-base P] [--user NAME[:PASSWORD]]... [--owner ACCOUNT]
//           buzon [-c config_dir] start | stop | reload | status | check | flush
//           buzon [-c config_dir] conf [-n | -d] [name...] | conf -e name=value... | conf -M [service...]
//           buzon [-c config_dir] queue [--json]
// SECURITY  Runs as the administrator (root in system mode, the instance
//           owner in instance mode); reads only configuration and the
//           queue, never network input. start runs daemon_directory/master
//           detached; conf -e rewrites main.cf atomically.
// LIMITS    init: user names kUserNameMax (32), passwords kPasswordMax (256),
//           port base kPortBaseMax (64540); queue: kDeferLogMax (1 MiB) of
//           each defer log; start waits 10 s for master's lock, stop 20 s.
// SEE ALSO  sendmail(1), mailq(1), master(8), main.cf(5), master.cf(5)
#include "cli/commands.h"

int main(int argc, char** argv) { return buzon::cli::buzon_main(argc, argv); }
