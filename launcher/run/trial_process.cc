#include "launcher/run/trial_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace knob {

std::string FindExecutable(const std::string& program) {
  auto executable = [](const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos)
    return executable(program) ? std::filesystem::absolute(program).string() : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

std::optional<uint64_t> OomKillCount() {
  std::ifstream vmstat("/proc/vmstat");
  std::string name;
  uint64_t count = 0;
  while (vmstat >> name >> count)
    if (name == "oom_kill") return count;
  return std::nullopt;
}

void SignalProcessGroup(pid_t pid, int signal) {
  if (pid > 0) kill(-pid, signal);
}

Result<LaunchedProcess> LaunchTrialProcess(const LaunchSpec& spec) {
  std::string program = FindExecutable(spec.argv.at(0));
  if (program.empty())
    return Error::Runtime("cannot start '" + spec.argv[0] + "': not an executable file or not on PATH");
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return Error::Runtime("cannot write trial log '" + spec.log_path + "': " + std::strerror(errno));
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) {
    close(log_fd);
    return Error::Runtime(std::string("socketpair: ") + std::strerror(errno));
  }
  // Everything the child needs is built before vfork: the child shares knob's
  // memory until it execs, so it only makes system calls, and reports a failure
  // through failed_stage (vfork resumes knob after the child's exec or exit). vfork
  // costs the same however large knob grows, unlike fork.
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string fd_var = "KNOB_CONTROL_FD=" + std::to_string(channel[1]);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(fd_var.data());
  envp.push_back(nullptr);
  pid_t parent = getpid();
  sigset_t all, previous;
  sigfillset(&all);
  // No signal handler of knob's may run in the child while it shares knob's memory.
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  volatile int failed_stage = 0, failed_errno = 0;

  pid_t pid = vfork();
  if (pid == 0) {
    auto fail = [&](int stage) {
      failed_errno = errno;
      failed_stage = stage;
      _exit(127);
    };
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // knob died before prctl
    // knob ignores SIGPIPE and exec would keep that; its other handlers are reset by exec.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    if (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0) fail(1);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    // The trainer's end of the channel survives exec.
    int flags = fcntl(channel[1], F_GETFD);
    fcntl(channel[1], F_SETFD, flags & ~FD_CLOEXEC);
    if (chdir(spec.working_dir.c_str()) != 0) fail(2);
    // When memory runs out, the kernel is to end a trainer (its trial FAILs as oom)
    // before knob or a database server. Raising one's own score needs no privilege.
    int oom_adj = open("/proc/self/oom_score_adj", O_WRONLY);
    if (oom_adj >= 0) {
      static const char kTrainerOomScore[] = "500";
      ssize_t ignored = write(oom_adj, kTrainerOomScore, sizeof kTrainerOomScore - 1);
      (void)ignored;
      close(oom_adj);
    }
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(program.c_str(), argv.data(), envp.data());
    fail(3);
  }
  int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  close(log_fd);
  close(channel[1]);
  if (pid < 0) {
    close(channel[0]);
    return Error::Runtime(std::string("vfork: ") + std::strerror(vfork_errno));
  }
  // Also set here, so that the group exists whichever process runs first.
  setpgid(pid, pid);
  if (failed_stage != 0) {
    close(channel[0]);
    // The child has exited 127; the orchestrator's SIGCHLD handling reaps it.
    const char* stage = failed_stage == 1 ? "redirect output" : failed_stage == 2 ? "enter its folder" : "exec";
    return Error::Runtime("cannot start '" + spec.argv[0] + "' (" + stage + "): " + std::strerror(failed_errno));
  }
  fcntl(channel[0], F_SETFL, fcntl(channel[0], F_GETFL) | O_NONBLOCK);
  return LaunchedProcess{pid, channel[0]};
}

}  // namespace knob
