#include "launcher/run/process_trial_runner.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <set>

#include "base/json_text.h"
#include "launcher/run/worker_identity.h"

namespace knob {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

struct ProcessTrialRunner::Running {
  Running(asio::io_context& io, int fd) : channel(io), stop_timer(io), kill_timer(io) { channel.assign(fd); }
  TrialLaunch launch;
  pid_t pid = -1;
  asio::posix::stream_descriptor channel;
  std::string inbox;
  size_t scanned = 0;  // bytes of inbox known to hold no newline
  double tokens = 0;   // messages it may still send now (a token bucket)
  Clock::time_point refilled = Clock::now();
  std::deque<std::string> outbox;
  bool writing = false;
  asio::steady_timer stop_timer;  // timeout, or the grace after a prune decision
  asio::steady_timer kill_timer;  // SIGKILL after SIGTERM
  bool stopping = false;          // SIGTERM sent
  bool finished = false;
  bool got_result = false;
  TrialOutcome outcome;
};

ProcessTrialRunner::ProcessTrialRunner(std::string worker_token, ChannelLimits limits)
    : worker_token_(std::move(worker_token)), limits_(limits), signals_(io_, SIGINT, SIGTERM, SIGHUP),
      children_(io_, SIGCHLD), sweep_timer_(io_) {
  // A trainer that closed its end of the channel must not kill knob with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  // Whatever a trainer starts in a session of its own is reparented to knob when
  // its parent dies, instead of to init, so that it can be found and ended.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  WaitChildren();
  WaitSignals();
}

ProcessTrialRunner::~ProcessTrialRunner() = default;

std::string ProcessTrialRunner::TrialToken(const std::string& worker_token, int number) {
  return worker_token + "/" + std::to_string(number);
}

double ProcessTrialRunner::Now() const {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

void ProcessTrialRunner::After(double seconds, std::function<void()> action) {
  auto timer = std::make_shared<asio::steady_timer>(io_, Seconds(seconds));
  timer->async_wait([timer, action = std::move(action)](const boost::system::error_code& e) {
    if (!e) action();
  });
}

void ProcessTrialRunner::Run() {
  SweepNowAndThen();
  io_.restart();
  io_.run();
  // Nothing a trainer started may outlive the run.
  SweepOrphans();
  KillProcessesOfWorker(worker_token_);
}

Status ProcessTrialRunner::Start(const TrialLaunch& launch) {
  KNOB_ASSIGN_OR_RETURN(LaunchedProcess launched, LaunchTrialProcess(launch.spec));
  auto t = std::make_shared<Running>(io_, launched.control_fd);
  t->launch = launch;
  t->pid = launched.pid;
  t->tokens = limits_.message_burst;
  t->outcome.end.log_path = launch.spec.log_path;
  by_pid_[t->pid] = t;
  by_number_[launch.number] = t;
  WatchChannel(t);
  if (launch.timeout_seconds) {
    t->stop_timer.expires_after(Seconds(*launch.timeout_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (e || t->finished) return;
      t->outcome.end.timed_out = true;
      t->outcome.end.timeout_seconds = *t->launch.timeout_seconds;
      Stop(t);
    });
  }
  return {};
}

void ProcessTrialRunner::Interrupt(int number, const std::string& reason) {
  auto it = by_number_.find(number);
  if (it == by_number_.end()) return;
  it->second->outcome.end.interrupted = true;
  it->second->outcome.end.interrupt_reason = reason;
  Stop(it->second);
}

void ProcessTrialRunner::WatchChannel(RunningPtr t) {
  t->channel.async_wait(asio::posix::descriptor::wait_read, [this, t](const boost::system::error_code& e) {
    if (e || t->finished) return;
    ReadChannel(t, /*final=*/false);
  });
}

void ProcessTrialRunner::ReadChannel(const RunningPtr& t, bool final) {
  char buffer[65536];
  size_t budget = limits_.read_bytes_per_turn;
  while (!t->stopping || final) {
    if (!final && budget == 0) {
      // A trainer that writes without pause must not starve the others: come back
      // to it once the loop has run what else is ready.
      asio::post(io_, [this, t] {
        if (!t->finished) ReadChannel(t, false);
      });
      return;
    }
    ssize_t n = read(t->channel.native_handle(), buffer, final ? sizeof buffer : std::min(sizeof buffer, budget));
    if (n > 0) {
      budget -= std::min<size_t>(budget, n);
      t->inbox.append(buffer, n);
      size_t start = 0, newline;
      while ((newline = t->inbox.find('\n', std::max(start, t->scanned))) != std::string::npos) {
        std::string line = t->inbox.substr(start, newline - start);
        start = newline + 1;
        t->scanned = 0;
        if (line.size() > limits_.max_line_bytes) {
          BreakProtocol(t, "sent a message of " + std::to_string(line.size()) + " bytes (the limit is " +
                               std::to_string(limits_.max_line_bytes) + ")");
          return;
        }
        if (!line.empty()) HandleLine(t, line);
        if (t->stopping && !final) {
          t->inbox.erase(0, start);
          return;
        }
      }
      t->inbox.erase(0, start);
      t->scanned = t->inbox.size();
      if (t->inbox.size() > limits_.max_line_bytes) {
        BreakProtocol(t, "sent more than " + std::to_string(limits_.max_line_bytes) +
                             " bytes without a newline on the control channel");
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !final) WatchChannel(t);
    // End of file (the trainer closed its end) or an error: nothing more to read.
    return;
  }
}

void ProcessTrialRunner::BreakProtocol(const RunningPtr& t, const std::string& reason) {
  if (t->outcome.end.protocol_error.empty()) {
    t->outcome.end.protocol_error = reason;
    events_->OnWarning("trial " + std::to_string(t->launch.number) + " broke the protocol: " + reason +
                       "; stopping it");
  }
  t->inbox.clear();
  Stop(t);
}

void ProcessTrialRunner::HandleLine(const RunningPtr& t, const std::string& line) {
  const std::string head = "trial " + std::to_string(t->launch.number) + ": ";
  // The token bucket: a sustained rate and a burst; past them the trainer floods.
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - t->refilled).count();
  t->refilled = now;
  t->tokens = std::min(limits_.message_burst, t->tokens + elapsed * limits_.messages_per_second);
  if (t->tokens < 1) {
    BreakProtocol(t, "flooded the control channel (more than " + ShortNumber(limits_.message_burst) +
                         " messages at once, or " + ShortNumber(limits_.messages_per_second) + " a second)");
    return;
  }
  t->tokens -= 1;
  auto message = ParseTrainerMessage(line, t->launch.metric);
  if (!message.ok()) {
    events_->OnWarning(head + "refused a message: " + message.error().message);
    t->outcome.end.refused = message.error().message;
    // Every line but a result may have a trainer waiting for its answer.
    if (line.find("\"result\"") == std::string::npos) Send(t, ErrorLine(message.error().message));
    return;
  }
  if (message->type == TrainerMessage::Type::kResult) {
    t->got_result = true;
    t->outcome.end.value = message->value;
    t->outcome.metrics = message->metrics;
    return;
  }
  auto prune = events_->OnReport(t->launch.number, message->step, *message->value);
  if (!prune.ok()) {
    events_->OnWarning(head + prune.error().message + "; stopping it");
    Send(t, ErrorLine(prune.error().message));
    Stop(t);
    return;
  }
  Send(t, DecisionLine(*prune));
  if (*prune && !t->outcome.end.pruned) {
    t->outcome.end.pruned = true;
    // It should stop by itself now; if it does not, it is stopped.
    t->stop_timer.expires_after(Seconds(t->launch.stop_grace_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (!e && !t->finished) Stop(t);
    });
  }
}

void ProcessTrialRunner::Send(RunningPtr t, std::string line) {
  if (t->outbox.size() >= limits_.max_unread_answers) {
    BreakProtocol(t, "stopped reading knob's answers (" + std::to_string(t->outbox.size()) + " unread)");
    return;
  }
  t->outbox.push_back(std::move(line));
  if (!t->writing) WriteNext(std::move(t));
}

// Writes the outbox in order, one asynchronous write at a time.
void ProcessTrialRunner::WriteNext(RunningPtr t) {
  t->writing = true;
  asio::async_write(t->channel, asio::buffer(t->outbox.front()),
                    [this, t](const boost::system::error_code& e, size_t) {
    t->writing = false;
    if (e || t->finished) return;  // a trainer that closed its end no longer listens
    t->outbox.pop_front();
    if (!t->outbox.empty()) WriteNext(t);
  });
}

void ProcessTrialRunner::Stop(RunningPtr t) {
  if (t->stopping || t->finished) return;
  t->stopping = true;
  SignalProcessGroup(t->pid, SIGTERM);
  t->kill_timer.expires_after(Seconds(t->launch.stop_grace_seconds));
  t->kill_timer.async_wait([t](const boost::system::error_code& e) {
    if (!e && !t->finished) SignalProcessGroup(t->pid, SIGKILL);
  });
}

void ProcessTrialRunner::WaitSignals() {
  signals_.async_wait([this](const boost::system::error_code& e, int signal) {
    if (e) return;
    if (events_) events_->OnSignal(signal);
    WaitSignals();
  });
}

void ProcessTrialRunner::WaitChildren() {
  children_.async_wait([this](const boost::system::error_code& e, int) {
    if (e) return;
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = by_pid_.find(pid);
      if (it != by_pid_.end()) OnExit(it->second, status);
    }
    WaitChildren();
  });
}

void ProcessTrialRunner::OnExit(RunningPtr t, int wait_status) {
  // A result written just before exit is already in the socket: read it all
  // (unless the trainer broke the channel's rules: nothing it sent counts then).
  if (t->outcome.end.protocol_error.empty()) ReadChannel(t, /*final=*/true);
  t->finished = true;
  t->outcome.end.wait_status = wait_status;
  // Whatever the trainer started in its group goes with it, and what left the group.
  SignalProcessGroup(t->pid, SIGKILL);
  t->stop_timer.cancel();
  t->kill_timer.cancel();
  boost::system::error_code ignored;
  t->channel.close(ignored);
  by_pid_.erase(t->pid);
  by_number_.erase(t->launch.number);
  SweepSoon();
  TrialEnd& end = t->outcome.end;
  if (!t->got_result && !end.pruned && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
    end.value = FindStdoutResult(end.log_path);
  events_->OnEnded(t->launch.number, t->outcome);
}

void ProcessTrialRunner::SweepOrphans() {
  for (pid_t child : ChildrenOf(getpid())) {
    if (by_pid_.count(child)) continue;
    // A process reparented to knob: its trial ended, unless it still names a
    // running trial (or sits in one's process group).
    auto token = EnvironmentValue(child, "KNOB_TRIAL");
    bool alive_trial = std::any_of(by_pid_.begin(), by_pid_.end(), [&](const auto& r) {
      return (token && *token == TrialToken(worker_token_, r.second->launch.number)) || getpgid(child) == r.first;
    });
    if (alive_trial) continue;
    kill(child, SIGKILL);
    if (events_)
      events_->OnWarning("killed process " + std::to_string(child) + ", left behind by an ended trial" +
                         (token ? " (" + *token + ")" : ""));
  }
}

void ProcessTrialRunner::SweepSoon() {
  // One scan of /proc serves all the trials that ended within 50 ms: at hundreds of
  // trials a second a scan per trial would cost more than the trials.
  if (sweep_soon_) return;
  sweep_soon_ = true;
  After(0.05, [this] {
    sweep_soon_ = false;
    SweepOrphans();
  });
}

void ProcessTrialRunner::SweepNowAndThen() {
  sweep_timer_.expires_after(std::chrono::seconds(2));
  sweep_timer_.async_wait([this](const boost::system::error_code& e) {
    if (e) return;
    SweepOrphans();
    SweepNowAndThen();
  });
}

}  // namespace knob
