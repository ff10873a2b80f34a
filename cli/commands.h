// The buzon subcommands and the pieces sendmail/mailq share with them.
// Each returns the process exit status and prints its own messages as
// "PROG: fatal: ..." / "PROG: warning: ...".
#pragma once
#include <chrono>
#include <span>
#include <string>

namespace buzon::config { class MainCf; }

namespace buzon::cli {

// buzon queue / mailq / sendmail -bp. Exit 0 when the queue could be read
// (even with warnings about single files), 1 when it could not.
int run_queue_list(const config::MainCf& cf, bool json, const char* prog);
int cmd_queue(const std::string& config_dir, std::span<const std::string> args);

// buzon flush / sendmail -q: 'F' to qmgr's trigger socket public/qmgr.
int run_flush(const config::MainCf& cf, const char* prog);

int cmd_start(const std::string& config_dir);
// start with another deadline for master to lock its pid file (tests).
int start_within(const std::string& config_dir, std::chrono::milliseconds deadline);
int cmd_stop(const std::string& config_dir);
int cmd_reload(const std::string& config_dir);
int cmd_status(const std::string& config_dir);
int cmd_flush(const std::string& config_dir);

// The buzon program.
int buzon_main(int argc, char** argv);

}  // namespace buzon::cli
