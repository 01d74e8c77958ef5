// Who runs a trial: the `knob run` process (host, boot, pid namespace, pid and
// start time), stored with each trial it starts as system attribute `knob:worker`
// and given to its trainers as $KNOB_WORKER. A later `knob run` on the same
// machine tells at once whether that worker is still alive (a pid alone could
// have been reused), and finds the trainer processes a dead worker left behind.
// Called by the orchestrator; Linux only.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace knob {

struct WorkerIdentity {
  std::string host;
  std::string boot_id;
  std::string pid_namespace;
  pid_t pid = 0;
  unsigned long long start_ticks = 0;

  static WorkerIdentity Self();
  static WorkerIdentity FromJson(const nlohmann::json& json);
  nlohmann::json ToJson() const;
  // One string naming the worker, unique across machines and time.
  std::string Token() const;
  // The same machine and pid namespace as this process, so /proc can tell.
  bool OnThisMachine() const;
  // On this machine: whether that very process still runs.
  bool IsAlive() const;
};

// The live processes whose environment holds `entry` ("NAME=value") exactly.
std::vector<pid_t> ProcessesWithEnvironmentEntry(const std::string& entry);

// The value of variable `name` in the environment of process `pid`, if it has one.
std::optional<std::string> EnvironmentValue(pid_t pid, const std::string& name);

// The live processes whose parent is `parent` (from /proc/PID/stat).
std::vector<pid_t> ChildrenOf(pid_t parent);

// Sends SIGKILL to every process whose environment holds KNOB_WORKER=<token>;
// returns how many it found.
int KillProcessesOfWorker(const std::string& token);

}  // namespace knob
