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

struct ProcessTrialRunner::Worker {
  Worker(asio::io_context& io, int fd) : channel(io), kill_timer(io) { channel.assign(fd); }
  pid_t pid = -1;
  int slot = 0;
  std::string token;  // the $KNOB_TRIAL it was started with
  double stop_grace_seconds = 10;
  bool may_serve = false;  // knob lets it take more trials (trainer.reuse)
  bool serves = false;     // and it offered to, in its hello
  int served = 0;          // trials it ended
  int max_trials = 0;      // then it is replaced (0: never)
  asio::posix::stream_descriptor channel;
  std::string inbox;
  size_t scanned = 0;  // bytes of inbox known to hold no newline
  double tokens = 0;   // messages it may still send now (a token bucket)
  Clock::time_point refilled = Clock::now();
  std::deque<std::string> outbox;
  bool writing = false;
  asio::steady_timer kill_timer;  // SIGKILL after SIGTERM
  bool stopping = false;          // SIGTERM sent
  bool broken = false;            // it broke the protocol: nothing more it sends is read
  bool exited = false;
  RunningPtr trial;  // the trial it runs; null while idle
};

struct ProcessTrialRunner::Running {
  explicit Running(asio::io_context& io) : stop_timer(io) {}
  TrialLaunch launch;
  WorkerPtr worker;
  asio::steady_timer stop_timer;  // timeout, or the grace after a prune decision
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

std::string ProcessTrialRunner::Head(const WorkerPtr& w) const {
  if (w->trial) return "trial " + std::to_string(w->trial->launch.number) + ": ";
  return "the idle worker of slot " + std::to_string(w->slot) + " (pid " + std::to_string(w->pid) + "): ";
}

ProcessTrialRunner::WorkerPtr ProcessTrialRunner::TakeIdleWorker(int slot) {
  for (auto it = idle_.begin(); it != idle_.end(); ++it) {
    WorkerPtr w = *it;
    if (w->slot != slot) continue;
    // One that exited a moment ago (its SIGCHLD not handled yet) takes no trial.
    siginfo_t info{};
    bool gone = waitid(P_PID, w->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == w->pid;
    if (gone || w->stopping || w->exited) continue;
    idle_.erase(it);
    return w;
  }
  return nullptr;
}

Status ProcessTrialRunner::Start(const TrialLaunch& launch) {
  auto t = std::make_shared<Running>(io_);
  t->launch = launch;
  t->outcome.end.log_path = launch.spec.log_path;
  WorkerPtr w = launch.reuse ? TakeIdleWorker(launch.slot) : nullptr;
  if (w) {
    Attach(w, t);
    Send(w, launch.next_trial_line);
  } else {
    KNOB_ASSIGN_OR_RETURN(LaunchedProcess launched, LaunchTrialProcess(launch.spec));
    w = std::make_shared<Worker>(io_, launched.control_fd);
    w->pid = launched.pid;
    w->slot = launch.slot;
    w->token = TrialToken(worker_token_, launch.number);
    w->stop_grace_seconds = launch.stop_grace_seconds;
    w->may_serve = launch.reuse;
    w->max_trials = launch.max_trials_per_worker;
    w->tokens = limits_.message_burst;
    by_pid_[w->pid] = w;
    Attach(w, t);
    WatchChannel(w);
  }
  if (launch.timeout_seconds) {
    t->stop_timer.expires_after(Seconds(*launch.timeout_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (e || t->finished) return;
      t->outcome.end.timed_out = true;
      t->outcome.end.timeout_seconds = *t->launch.timeout_seconds;
      Stop(t->worker);
    });
  }
  return {};
}

void ProcessTrialRunner::Attach(const WorkerPtr& w, const RunningPtr& t) {
  t->worker = w;
  w->trial = t;
  by_number_[t->launch.number] = t;
}

void ProcessTrialRunner::Interrupt(int number, const std::string& reason) {
  auto it = by_number_.find(number);
  if (it == by_number_.end()) return;
  it->second->outcome.end.interrupted = true;
  it->second->outcome.end.interrupt_reason = reason;
  Stop(it->second->worker);
}

void ProcessTrialRunner::WatchChannel(WorkerPtr w) {
  w->channel.async_wait(asio::posix::descriptor::wait_read, [this, w](const boost::system::error_code& e) {
    if (e || w->exited) return;
    ReadChannel(w, /*final=*/false);
  });
}

void ProcessTrialRunner::ReadChannel(const WorkerPtr& w, bool final) {
  char buffer[65536];
  size_t budget = limits_.read_bytes_per_turn;
  while (!w->broken || final) {
    if (!final && budget == 0) {
      // A trainer that writes without pause must not starve the others: come back
      // to it once the loop has run what else is ready.
      asio::post(io_, [this, w] {
        if (!w->exited) ReadChannel(w, false);
      });
      return;
    }
    ssize_t n = read(w->channel.native_handle(), buffer, final ? sizeof buffer : std::min(sizeof buffer, budget));
    if (n > 0) {
      budget -= std::min<size_t>(budget, n);
      w->inbox.append(buffer, n);
      size_t start = 0, newline;
      while ((newline = w->inbox.find('\n', std::max(start, w->scanned))) != std::string::npos) {
        std::string line = w->inbox.substr(start, newline - start);
        start = newline + 1;
        w->scanned = 0;
        if (line.size() > limits_.max_line_bytes) {
          BreakProtocol(w, "sent a message of " + std::to_string(line.size()) + " bytes (the limit is " +
                               std::to_string(limits_.max_line_bytes) + ")");
          return;
        }
        if (!line.empty()) HandleLine(w, line);
        if (w->broken && !final) {
          w->inbox.erase(0, start);
          return;
        }
      }
      w->inbox.erase(0, start);
      w->scanned = w->inbox.size();
      if (w->inbox.size() > limits_.max_line_bytes) {
        BreakProtocol(w, "sent more than " + std::to_string(limits_.max_line_bytes) +
                             " bytes without a newline on the control channel");
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !final) WatchChannel(w);
    // End of file (the trainer closed its end) or an error: nothing more to read.
    return;
  }
}

void ProcessTrialRunner::BreakProtocol(const WorkerPtr& w, const std::string& reason) {
  if (w->trial && w->trial->outcome.end.protocol_error.empty()) w->trial->outcome.end.protocol_error = reason;
  events_->OnWarning(Head(w) + "broke the protocol: " + reason + "; stopping it");
  w->broken = true;
  w->inbox.clear();
  Stop(w);
}

void ProcessTrialRunner::HandleLine(const WorkerPtr& w, const std::string& line) {
  // The token bucket: a sustained rate and a burst; past them the trainer floods.
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - w->refilled).count();
  w->refilled = now;
  w->tokens = std::min(limits_.message_burst, w->tokens + elapsed * limits_.messages_per_second);
  if (w->tokens < 1) {
    BreakProtocol(w, "flooded the control channel (more than " + ShortNumber(limits_.message_burst) +
                         " messages at once, or " + ShortNumber(limits_.messages_per_second) + " a second)");
    return;
  }
  w->tokens -= 1;
  RunningPtr t = w->trial;
  auto message = ParseTrainerMessage(line, t ? t->launch.metric : std::string());
  if (!message.ok()) {
    events_->OnWarning(Head(w) + "refused a message: " + message.error().message);
    if (t) t->outcome.end.refused = message.error().message;
    // Every line but a trial's end may have a trainer waiting for its answer.
    if (line.find("\"result\"") == std::string::npos && line.find("\"fail\"") == std::string::npos)
      Send(w, ErrorLine(message.error().message));
    return;
  }
  if (message->type == TrainerMessage::Type::kHello) {
    w->serves = message->serves && w->may_serve;
    return;
  }
  if (!t) {
    std::string why = "a message between trials (its trial has ended)";
    events_->OnWarning(Head(w) + "refused " + why);
    if (IsAnswered(message->type)) Send(w, ErrorLine("knob refused " + why));
    return;
  }
  HandleMessage(w, t, *message);
}

void ProcessTrialRunner::HandleMessage(const WorkerPtr& w, const RunningPtr& t, const TrainerMessage& message) {
  const std::string head = Head(w);
  int number = t->launch.number;
  TrialEnd& end = t->outcome.end;
  switch (message.type) {
    case TrainerMessage::Type::kHello:
      return;
    case TrainerMessage::Type::kResult:
    case TrainerMessage::Type::kFail:
      t->got_result = true;
      if (message.type == TrainerMessage::Type::kFail) {
        end.trainer_failure = message.reason;
      } else {
        end.value = message.value;
        end.values = message.values;
        end.constraints = message.constraints;
        end.pruned = end.pruned || message.pruned;
        t->outcome.metrics = message.metrics;
      }
      if (w->serves) EndServedTrial(w);
      return;
    case TrainerMessage::Type::kSuggest: {
      auto value = events_->OnSuggest(number, message.name, message.distribution);
      if (!value.ok()) {
        events_->OnWarning(head + value.error().message);
        if (end.refused_suggestion.empty()) end.refused_suggestion = value.error().message;
        Send(w, ErrorLine(value.error().message));
        return;
      }
      Send(w, ParamLine(message.name, *value));
      return;
    }
    case TrainerMessage::Type::kUserAttr: {
      Status set = events_->OnUserAttr(number, message.name, message.attr_value);
      if (!set.ok()) events_->OnWarning(head + "refused a user attribute: " + set.error().message);
      Send(w, set.ok() ? OkLine() : ErrorLine(set.error().message));
      return;
    }
    case TrainerMessage::Type::kReport:
      break;
  }
  if (w->stopping) {
    // Being stopped (SIGTERM sent): told to go on, so that a trainer waiting for
    // this answer sees its signal, saves its checkpoint and exits.
    Send(w, DecisionLine(false));
    return;
  }
  auto prune = events_->OnReport(number, message.step, *message.value);
  if (!prune.ok()) {
    events_->OnWarning(head + prune.error().message + "; stopping it");
    Send(w, ErrorLine(prune.error().message));
    Stop(w);
    return;
  }
  Send(w, DecisionLine(*prune));
  if (*prune && !end.pruned) {
    end.pruned = true;
    // It should stop by itself now; if it does not, it is stopped.
    t->stop_timer.expires_after(Seconds(t->launch.stop_grace_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (!e && !t->finished) Stop(t->worker);
    });
  }
}

void ProcessTrialRunner::Send(WorkerPtr w, std::string line) {
  if (w->outbox.size() >= limits_.max_unread_answers) {
    BreakProtocol(w, "stopped reading knob's answers (" + std::to_string(w->outbox.size()) + " unread)");
    return;
  }
  w->outbox.push_back(std::move(line));
  if (!w->writing) WriteNext(std::move(w));
}

// Writes the outbox in order, one asynchronous write at a time.
void ProcessTrialRunner::WriteNext(WorkerPtr w) {
  w->writing = true;
  asio::async_write(w->channel, asio::buffer(w->outbox.front()),
                    [this, w](const boost::system::error_code& e, size_t) {
    w->writing = false;
    if (e || w->exited) return;  // a trainer that closed its end no longer listens
    w->outbox.pop_front();
    if (!w->outbox.empty()) WriteNext(w);
  });
}

void ProcessTrialRunner::Stop(WorkerPtr w) {
  if (w->stopping || w->exited) return;
  w->stopping = true;
  SignalProcessGroup(w->pid, SIGTERM);
  w->kill_timer.expires_after(Seconds(w->stop_grace_seconds));
  w->kill_timer.async_wait([w](const boost::system::error_code& e) {
    if (!e && !w->exited) SignalProcessGroup(w->pid, SIGKILL);
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

void ProcessTrialRunner::EndTrial(const RunningPtr& t) {
  t->finished = true;
  t->stop_timer.cancel();
  by_number_.erase(t->launch.number);
  if (t->worker && t->worker->trial == t) t->worker->trial = nullptr;
}

void ProcessTrialRunner::EndServedTrial(const WorkerPtr& w) {
  RunningPtr t = w->trial;
  EndTrial(t);
  w->served++;
  // Idle before the policy hears of the end, so that the slot's next trial finds it.
  if (w->max_trials > 0 && w->served >= w->max_trials) Stop(w);
  else idle_.push_back(w);
  events_->OnEnded(t->launch.number, t->outcome);
}

void ProcessTrialRunner::OnExit(WorkerPtr w, int wait_status) {
  // A result written just before exit is already in the socket: read it all
  // (unless the trainer broke the channel's rules: nothing it sent counts then).
  if (!w->trial || w->trial->outcome.end.protocol_error.empty()) ReadChannel(w, /*final=*/true);
  w->exited = true;
  // Whatever the trainer started in its group goes with it, and what left the group.
  SignalProcessGroup(w->pid, SIGKILL);
  w->kill_timer.cancel();
  boost::system::error_code ignored;
  w->channel.close(ignored);
  by_pid_.erase(w->pid);
  idle_.erase(std::remove(idle_.begin(), idle_.end(), w), idle_.end());
  SweepSoon();
  RunningPtr t = w->trial;
  if (!t) {
    if (!w->stopping && !(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0))
      events_->OnWarning(Head(w) + "exited between trials (" +
                         (WIFSIGNALED(wait_status) ? SignalName(WTERMSIG(wait_status))
                                                   : "exit code " + std::to_string(WEXITSTATUS(wait_status))) +
                         "); its slot's next trial starts a new one");
    return;
  }
  EndTrial(t);
  TrialEnd& end = t->outcome.end;
  end.wait_status = wait_status;
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
      return (token && *token == r.second->token) || getpgid(child) == r.first;
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
