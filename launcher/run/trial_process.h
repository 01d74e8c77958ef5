// Starting and stopping one trainer process: argv without a shell, its own
// process group (so that stopping it reaches whatever it starts), stdout and
// stderr into a log file, a working folder, an environment, and one end of a
// socket pair as the control channel (its descriptor number in KNOB_CONTROL_FD).
// The child dies with knob (PR_SET_PDEATHSIG) so a killed `knob run` leaves no
// trainer behind. Called by the orchestrator; Linux only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace knob {

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH unless it has a '/'
  std::vector<std::string> env;   // the whole environment, "NAME=value"
  std::string working_dir;
  std::string log_path;  // created or truncated
};

struct LaunchedProcess {
  pid_t pid = -1;      // also its process group id
  int control_fd = -1;  // knob's end of the control channel, non-blocking, close-on-exec
};

// Runtime error naming the program when it cannot be started (not found, not
// executable, log not writable): the child reports exec failures back before
// this returns.
Result<LaunchedProcess> LaunchTrialProcess(const LaunchSpec& spec);

// Sends `signal` to the process group of `pid` (ignores groups already gone).
void SignalProcessGroup(pid_t pid, int signal);

// The executable `program` names: itself when it contains '/', else the first
// match on $PATH; empty when there is none.
std::string FindExecutable(const std::string& program);

// "SIGSEGV" for 11, and so on.
std::string SignalName(int signal);

// How many processes the kernel's out-of-memory killer has ended since boot, in
// this machine or any memory cgroup of it (/proc/vmstat's oom_kill); nullopt where
// the kernel does not say.
std::optional<uint64_t> OomKillCount();

}  // namespace knob
