#include "launcher/run/worker_identity.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json_field.h"

namespace knob {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
unsigned long long StartTicks(pid_t pid) {
  std::string stat = ReadFirstLine("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::stoull(field);
  return 0;
}

std::string PidNamespace() {
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/proc/self/ns/pid", ec);
  return ec ? "" : target.string();
}

}  // namespace

WorkerIdentity WorkerIdentity::Self() {
  WorkerIdentity self;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  self.host = host;
  self.boot_id = ReadFirstLine("/proc/sys/kernel/random/boot_id");
  self.pid_namespace = PidNamespace();
  self.pid = getpid();
  self.start_ticks = StartTicks(self.pid);
  return self;
}

WorkerIdentity WorkerIdentity::FromJson(const nlohmann::json& json) {
  WorkerIdentity w;
  if (!json.is_object()) return w;
  w.host = FieldOr<std::string>(json, "host", "");
  w.boot_id = FieldOr<std::string>(json, "boot", "");
  w.pid_namespace = FieldOr<std::string>(json, "pidns", "");
  w.pid = FieldOr<int>(json, "pid", 0);
  w.start_ticks = FieldOr<unsigned long long>(json, "start", 0ULL);
  return w;
}

nlohmann::json WorkerIdentity::ToJson() const {
  return {{"host", host}, {"boot", boot_id}, {"pidns", pid_namespace}, {"pid", pid},
          {"start", start_ticks}};
}

std::string WorkerIdentity::Token() const {
  return host + ":" + boot_id.substr(0, 8) + ":" + std::to_string(pid) + ":" + std::to_string(start_ticks);
}

bool WorkerIdentity::OnThisMachine() const {
  static const WorkerIdentity self = Self();  // host, boot and namespace never change
  return !host.empty() && host == self.host && boot_id == self.boot_id &&
         pid_namespace == self.pid_namespace;
}

bool WorkerIdentity::IsAlive() const {
  return pid > 0 && kill(pid, 0) == 0 && StartTicks(pid) == start_ticks;
}

std::vector<pid_t> ProcessesWithEnvironmentEntry(const std::string& entry) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& process : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = process.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream environ(process.path() / "environ", std::ios::binary);
    std::string var;
    while (std::getline(environ, var, '\0')) {
      if (var != entry) continue;
      pids.push_back(static_cast<pid_t>(std::stol(name)));
      break;
    }
  }
  return pids;
}

std::optional<std::string> EnvironmentValue(pid_t pid, const std::string& name) {
  std::ifstream environ("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::string var, prefix = name + "=";
  while (std::getline(environ, var, '\0'))
    if (var.compare(0, prefix.size(), prefix) == 0) return var.substr(prefix.size());
  return std::nullopt;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& process : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = process.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadFirstLine(process.path() / "stat");
    size_t paren = stat.rfind(')');  // "pid (comm) state ppid ..."
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));
    std::string state;
    long ppid = 0;
    if (fields >> state >> ppid && ppid == parent && state != "Z") children.push_back(std::stoi(name));
  }
  return children;
}

int KillProcessesOfWorker(const std::string& token) {
  int killed = 0;
  for (pid_t pid : ProcessesWithEnvironmentEntry("KNOB_WORKER=" + token)) killed += kill(pid, SIGKILL) == 0;
  return killed;
}

}  // namespace knob
