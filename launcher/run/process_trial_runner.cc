#include "launcher/run/process_trial_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <deque>
#include <filesystem>

#include "base/duration.h"
#include "base/json_text.h"
#include "launcher/run/worker_identity.h"

namespace knob {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Sets NAME=value in an environment list, replacing an earlier NAME.
void SetEnv(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; }),
            env.end());
  env.push_back(prefix + value);
}

// Rank R's log: trainer.rankR.log beside rank 0's, which is `log_path` itself.
std::string RankLogPath(const std::string& log_path, int rank) {
  if (rank == 0) return log_path;
  std::filesystem::path p(log_path);
  return (p.parent_path() / (p.stem().string() + ".rank" + std::to_string(rank) + p.extension().string())).string();
}

}  // namespace

struct ProcessTrialRunner::Worker {
  Worker(asio::io_context& io, int fd) : channel(io), kill_timer(io) { channel.assign(fd); }
  pid_t pid = -1;
  int slot = 0;
  int rank = 0;  // of its trial's processes
  std::string token;  // the $KNOB_TRIAL it was started with
  double stop_grace_seconds = 10;
  bool may_serve = false;  // knob lets it take more trials (trainer.reuse)
  bool serves = false;     // and it offered to, in its hello
  bool prunes_itself = false;  // its hello: it decides whether a prune decision ends its trial
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
  bool leaving = false;  // it said it serves no more
  RunningPtr trial;  // the trial it runs; null while idle
};

constexpr int kShownRefusals = 5;  // a trial's refused messages shown one by one

struct ProcessTrialRunner::Running {
  explicit Running(asio::io_context& io) : stop_timer(io) {}
  TrialLaunch launch;
  std::vector<WorkerPtr> workers;  // by rank; one unless distributed
  asio::steady_timer stop_timer;  // timeout, or the grace after a prune decision
  bool finished = false;
  bool got_result = false;
  int refused_messages = 0;
  int enqueues = 0;  // trials it queued
  bool heard = false;  // its trainer sent a message of it
  bool sent_to_idle_worker = false;  // handed to a worker that served an earlier trial
  std::optional<uint64_t> oom_kills_at_start;  // the kernel's count when it started
  TrialOutcome outcome;
  // Distributed trials.
  int port = 0;                    // its MASTER_PORT, held in ports_
  bool rank_failed = false;        // the end names a rank that failed
  std::optional<int> rank0_status;  // rank 0's wait status, once it exited
  std::map<int64_t, bool> decisions;                  // rank 0's, by step
  std::map<int64_t, std::vector<WorkerPtr>> waiting;  // other ranks' reports
};

ProcessTrialRunner::ProcessTrialRunner(std::string worker_token, ChannelLimits limits)
    : worker_token_(std::move(worker_token)), limits_(limits), signals_(io_, SIGINT, SIGTERM, SIGHUP),
      children_(io_, SIGCHLD), sweep_timer_(io_), log_timer_(io_) {
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
  WatchLogsNowAndThen();
  io_.restart();
  io_.run();
  // Nothing a trainer started may outlive the run.
  SweepOrphans();
  KillProcessesOfWorker(worker_token_);
}

std::string ProcessTrialRunner::Head(const WorkerPtr& w) const {
  if (w->trial && w->trial->workers.size() > 1)
    return "trial " + std::to_string(w->trial->launch.number) + " (rank " + std::to_string(w->rank) + "): ";
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

Result<ProcessTrialRunner::WorkerPtr> ProcessTrialRunner::Launch(const TrialLaunch& launch, const LaunchSpec& spec,
                                                                  int rank) {
  KNOB_ASSIGN_OR_RETURN(LaunchedProcess launched, LaunchTrialProcess(spec));
  auto w = std::make_shared<Worker>(io_, launched.control_fd);
  w->pid = launched.pid;
  w->slot = launch.slot;
  w->rank = rank;
  w->token = TrialToken(worker_token_, launch.number);
  w->stop_grace_seconds = launch.stop_grace_seconds;
  w->may_serve = launch.reuse && launch.processes == 1;
  w->max_trials = launch.max_trials_per_worker;
  w->tokens = limits_.message_burst;
  by_pid_[w->pid] = w;
  return w;
}

Status ProcessTrialRunner::Start(const TrialLaunch& launch) {
  auto t = std::make_shared<Running>(io_);
  t->launch = launch;
  t->outcome.end.log_path = launch.spec.log_path;
  t->oom_kills_at_start = OomKillCount();
  if (launch.processes > 1) {
    KNOB_RETURN_IF_ERROR(StartRanks(t));
  } else if (WorkerPtr w = launch.reuse ? TakeIdleWorker(launch.slot) : nullptr) {
    Attach(w, t);
    t->sent_to_idle_worker = true;
    Send(w, launch.next_trial_line);
  } else {
    KNOB_ASSIGN_OR_RETURN(w, Launch(launch, launch.spec, 0));
    Attach(w, t);
    WatchChannel(w);
  }
  if (launch.timeout_seconds) {
    t->stop_timer.expires_after(Seconds(*launch.timeout_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (e || t->finished) return;
      if (t->got_result) {
        // It sent its end in time and hangs on its way out (a DataLoader worker, a
        // collective's teardown): stopped, and what it sent stands.
        const char* sent = t->outcome.end.trainer_failure.empty() ? "result" : "fail message";
        events_->OnWarning("trial " + std::to_string(t->launch.number) + ": still running at its timeout (" +
                           ShortDuration(*t->launch.timeout_seconds) + ") after its " + sent + "; stopping it");
        t->outcome.end.stopped_after_end = true;
      } else {
        t->outcome.end.timed_out = true;
        t->outcome.end.timeout_seconds = *t->launch.timeout_seconds;
      }
      StopTrial(t);
    });
  }
  return {};
}

Result<int> ProcessTrialRunner::ReservePort() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error::Runtime(std::string("cannot open a socket to find a free port: ") + strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;  // the kernel picks one that is free now
    socklen_t size = sizeof address;
    bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                 getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
    close(fd);
    if (!bound) return Error::Runtime(std::string("cannot find a free port on 127.0.0.1: ") + strerror(errno));
    int port = ntohs(address.sin_port);
    if (ports_.insert(port).second) return port;
  }
  return Error::Runtime("cannot find a port on 127.0.0.1 that no running trial holds");
}

Status ProcessTrialRunner::StartRanks(const RunningPtr& t) {
  const TrialLaunch& launch = t->launch;
  KNOB_ASSIGN_OR_RETURN(t->port, ReservePort());
  for (int rank = 0; rank < launch.processes; ++rank) {
    LaunchSpec spec = launch.spec;
    const std::string world = std::to_string(launch.processes);
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"RANK", std::to_string(rank)}, {"LOCAL_RANK", std::to_string(rank)}, {"GROUP_RANK", "0"},
             {"WORLD_SIZE", world}, {"LOCAL_WORLD_SIZE", world}, {"MASTER_ADDR", "127.0.0.1"},
             {"MASTER_PORT", std::to_string(t->port)}})
      SetEnv(spec.env, name, value);
    spec.log_path = RankLogPath(launch.spec.log_path, rank);
    auto w = Launch(launch, spec, rank);
    if (!w.ok()) {
      if (rank == 0) {
        ports_.erase(t->port);
        return w.error();
      }
      // The ranks already started are stopped; the trial ends when they are gone.
      t->outcome.end.start_error = "rank " + std::to_string(rank) + ": " + w.error().message;
      StopTrial(t);
      return {};
    }
    Attach(*w, t);
    WatchChannel(*w);
  }
  return {};
}

void ProcessTrialRunner::Attach(const WorkerPtr& w, const RunningPtr& t) {
  t->workers.push_back(w);
  w->trial = t;
  by_number_[t->launch.number] = t;
}

void ProcessTrialRunner::StopTrial(const RunningPtr& t) {
  for (const WorkerPtr& w : t->workers) Stop(w);
}

void ProcessTrialRunner::Interrupt(int number, const std::string& reason) {
  auto it = by_number_.find(number);
  if (it == by_number_.end()) return;
  it->second->outcome.end.interrupted = true;
  it->second->outcome.end.interrupt_reason = reason;
  StopTrial(it->second);
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
  RunningPtr t = w->trial;
  if (t && t->outcome.end.protocol_error.empty()) {
    t->outcome.end.protocol_error = reason;
    t->outcome.end.rank = w->rank;
    t->outcome.end.log_path = RankLogPath(t->launch.spec.log_path, w->rank);
  }
  events_->OnWarning(Head(w) + "broke the protocol: " + reason + "; stopping it");
  w->broken = true;
  w->inbox.clear();
  if (t) StopTrial(t);
  else Stop(w);
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
    // A trainer whose threads interleave their lines may have hundreds refused: the
    // first few are shown, the rest counted when its trial ends.
    int refusals = t ? ++t->refused_messages : 1;
    if (refusals <= kShownRefusals)
      events_->OnWarning(Head(w) + "refused a message: " + message.error().message);
    if (t) t->outcome.end.refused = message.error().message;
    // Every line but a trial's end may have a trainer waiting for its answer.
    if (line.find("\"result\"") == std::string::npos && line.find("\"fail\"") == std::string::npos)
      Send(w, ErrorLine(message.error().message));
    return;
  }
  if (message->type == TrainerMessage::Type::kHello) {
    bool served = w->serves;
    w->serves = message->serves && w->may_serve;
    w->prunes_itself = message->prunes_itself;
    if (served && !w->serves) Leave(w);
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
  t->heard = true;
  const std::string head = Head(w);
  int number = t->launch.number;
  TrialEnd& end = t->outcome.end;
  if (w->rank > 0) {
    // Rank 0 speaks for the trial: another rank's result is its own business, its
    // failure ends the trial, its report gets rank 0's decision, and its other
    // requests are answered as rank 0's are.
    if (message.type == TrainerMessage::Type::kFail && !t->got_result && !t->rank_failed) {
      end.trainer_failure = message.reason;
      RankFailed(w, t);
    }
    if (message.type == TrainerMessage::Type::kReport) return AnswerLikeRankZero(w, t, message.step);
    if (!IsAnswered(message.type)) return;
  }
  switch (message.type) {
    case TrainerMessage::Type::kHello:
      return;
    case TrainerMessage::Type::kResult:
    case TrainerMessage::Type::kFail:
      if (t->got_result) {  // the protocol's "once": the first stands
        events_->OnWarning(head + "sent a second result or fail; the first stands");
        return;
      }
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
      if (t->workers.size() > 1) {
        ReleaseWaitingRanks(t);
        if (message.type == TrainerMessage::Type::kFail) StopTrial(t);
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
    case TrainerMessage::Type::kUserAttr:
    case TrainerMessage::Type::kSystemAttr: {
      bool user = message.type == TrainerMessage::Type::kUserAttr;
      Status set = user ? events_->OnUserAttr(number, message.of_study, message.name, message.attr_value)
                        : events_->OnSystemAttr(number, message.name, message.attr_value);
      if (!set.ok())
        events_->OnWarning(head + "refused a " + (user ? "user" : "system") + " attribute: " + set.error().message);
      Send(w, set.ok() ? OkLine() : ErrorLine(set.error().message));
      return;
    }
    case TrainerMessage::Type::kEnqueue: {
      if (++t->enqueues > limits_.max_enqueues)
        return BreakProtocol(w, "queued more than " + std::to_string(limits_.max_enqueues) + " trials");
      Status queued = events_->OnEnqueue(number, message.params, message.user_attrs);
      if (!queued.ok()) events_->OnWarning(head + "refused an enqueued trial: " + queued.error().message);
      Send(w, queued.ok() ? OkLine() : ErrorLine(queued.error().message));
      return;
    }
    case TrainerMessage::Type::kStudy: {
      auto line = events_->OnStudyRequest(number, message.with_trials);
      if (!line.ok()) events_->OnWarning(head + "could not read the study: " + line.error().message);
      Send(w, line.ok() ? *line : ErrorLine(line.error().message));
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
    StopTrial(t);
    return;
  }
  Send(w, DecisionLine(*prune));
  // One that prunes itself (an Optuna objective: should_prune() is advice) ends
  // PRUNED by saying so; one that goes on and returns a value is COMPLETE with it.
  if (*prune && !end.pruned && !w->prunes_itself) {
    end.pruned = true;
    // It should stop by itself now; if it does not, it is stopped.
    t->stop_timer.expires_after(Seconds(t->launch.stop_grace_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (!e && !t->finished) StopTrial(t);
    });
  }
  if (t->workers.size() > 1) DecidedAtRankZero(t, message.step, *prune);
}

void ProcessTrialRunner::AnswerLikeRankZero(const WorkerPtr& w, const RunningPtr& t, int64_t step) {
  if (w->stopping || t->outcome.end.pruned) return Send(w, DecisionLine(t->outcome.end.pruned && !w->stopping));
  auto decided = t->decisions.find(step);
  if (decided != t->decisions.end()) return Send(w, DecisionLine(decided->second));
  if (t->rank0_status || t->got_result) return Send(w, DecisionLine(false));  // rank 0 decides no more
  size_t waiting = 0;
  for (const auto& [at, ranks] : t->waiting) waiting += ranks.size();
  if (waiting >= limits_.max_unread_answers)
    return BreakProtocol(w, "sent " + std::to_string(waiting) + " reports at steps rank 0 has not reported");
  t->waiting[step].push_back(w);
}

void ProcessTrialRunner::ReleaseWaitingRanks(const RunningPtr& t) {
  for (const auto& [step, ranks] : t->waiting)
    for (const WorkerPtr& other : ranks)
      if (!other->exited) Send(other, DecisionLine(t->outcome.end.pruned && !other->stopping));
  t->waiting.clear();
}

void ProcessTrialRunner::DecidedAtRankZero(const RunningPtr& t, int64_t step, bool prune) {
  t->decisions[step] = prune;
  // Pruned: every rank waiting at any step is told so; else those at this step go on.
  for (auto it = t->waiting.begin(); it != t->waiting.end();) {
    if (!prune && it->first != step) {
      ++it;
      continue;
    }
    for (const WorkerPtr& other : it->second)
      if (!other->exited) Send(other, DecisionLine(prune && !other->stopping));
    it = t->waiting.erase(it);
  }
}

void ProcessTrialRunner::RankFailed(const WorkerPtr& w, const RunningPtr& t) {
  t->rank_failed = true;
  t->outcome.end.rank = w->rank;
  t->outcome.end.log_path = RankLogPath(t->launch.spec.log_path, w->rank);
  events_->OnWarning(Head(w) + "failed; stopping the trial's other processes");
  StopTrial(t);
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
    std::vector<std::pair<WorkerPtr, int>> exited;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = by_pid_.find(pid);
      if (it != by_pid_.end()) exited.emplace_back(it->second, status);
    }
    // Those a signal killed first: when one rank of a trial is killed and another
    // then exits because its collective broke, the killed one is the cause.
    std::stable_partition(exited.begin(), exited.end(), [](const auto& e) { return WIFSIGNALED(e.second); });
    for (const auto& [w, wait_status] : exited) OnExit(w, wait_status);
    WaitChildren();
  });
}

void ProcessTrialRunner::EndTrial(const RunningPtr& t) {
  if (t->refused_messages > kShownRefusals)
    events_->OnWarning("trial " + std::to_string(t->launch.number) + ": refused " +
                       std::to_string(t->refused_messages) + " messages in all (the first " +
                       std::to_string(kShownRefusals) + " shown)");
  t->finished = true;
  t->stop_timer.cancel();
  by_number_.erase(t->launch.number);
  if (t->port) ports_.erase(t->port);
  for (const WorkerPtr& w : t->workers)
    if (w->trial == t) w->trial = nullptr;
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

void ProcessTrialRunner::Leave(const WorkerPtr& w) {
  w->leaving = true;
  idle_.erase(std::remove(idle_.begin(), idle_.end(), w), idle_.end());
  RunningPtr t = w->trial;
  if (!t) return Stop(w);  // it ends between trials
  if (t->heard || !t->sent_to_idle_worker || t->workers.size() != 1) return;
  // Sent to it after its last trial, and never begun there: a fresh process runs it
  // (once: a fresh process was not sent its trial, so saying the same ends nothing).
  w->trial = nullptr;
  t->workers.clear();
  Stop(w);
  events_->OnWarning(Head(w) + "serves no more; trial " + std::to_string(t->launch.number) +
                     " sent to it starts in a new process");
  auto fresh = Launch(t->launch, t->launch.spec, 0);
  if (!fresh.ok()) {
    t->outcome.end.start_error = fresh.error().message;
    EndTrial(t);
    events_->OnEnded(t->launch.number, t->outcome);
    return;
  }
  Attach(*fresh, t);
  WatchChannel(*fresh);
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
    if (!w->stopping && !w->leaving && !(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0))
      events_->OnWarning(Head(w) + "exited between trials (" +
                         (WIFSIGNALED(wait_status) ? SignalName(WTERMSIG(wait_status))
                                                   : "exit code " + std::to_string(WEXITSTATUS(wait_status))) +
                         "); its slot's next trial starts a new one");
    return;
  }
  if (t->workers.size() > 1) return OnRankExit(w, t, wait_status);
  EndTrial(t);
  TrialEnd& end = t->outcome.end;
  end.wait_status = wait_status;
  end.out_of_memory = KilledForMemory(w, t, wait_status);
  if (!t->got_result && !end.pruned && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
    end.value = FindStdoutResult(end.log_path);
  events_->OnEnded(t->launch.number, t->outcome);
}

// A SIGKILL knob did not send, while the kernel's out-of-memory kills rose: the
// out-of-memory killer's (or, rarely, someone's kill -9 while another process ran out).
bool ProcessTrialRunner::KilledForMemory(const WorkerPtr& w, const RunningPtr& t, int wait_status) {
  if (!WIFSIGNALED(wait_status) || WTERMSIG(wait_status) != SIGKILL || w->stopping) return false;
  std::optional<uint64_t> now = OomKillCount();
  return now && t->oom_kills_at_start && *now > *t->oom_kills_at_start;
}

void ProcessTrialRunner::OnRankExit(const WorkerPtr& w, const RunningPtr& t, int wait_status) {
  const auto live = std::count_if(t->workers.begin(), t->workers.end(), [](const WorkerPtr& r) { return !r->exited; });
  TrialEnd& end = t->outcome.end;
  const bool clean = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  // A rank that died by itself (not stopped by knob) before rank 0's result names the end.
  if (!clean && !w->stopping && !t->got_result && !t->rank_failed && !end.pruned) {
    end.wait_status = wait_status;
    end.out_of_memory = KilledForMemory(w, t, wait_status);
    RankFailed(w, t);
  }
  if (w->rank == 0) {
    t->rank0_status = wait_status;
    ReleaseWaitingRanks(t);  // rank 0 reports no more: the others go on to their end
    // The others may finish by themselves a moment later; past the grace they are stopped.
    if (live > 0) {
      t->stop_timer.expires_after(Seconds(t->launch.stop_grace_seconds));
      t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
        if (!e && !t->finished) StopTrial(t);
      });
    }
  }
  if (live > 0) return;
  EndTrial(t);
  if (!t->rank_failed) {
    end.wait_status = t->rank0_status.value_or(wait_status);
    if (!t->got_result && !end.pruned && WIFEXITED(end.wait_status) && WEXITSTATUS(end.wait_status) == 0)
      end.value = FindStdoutResult(end.log_path);
  }
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

// A trainer that floods its log (a print loop, a progress bar gone wild) would fill
// the disk under the study: past trainer.max_log_mb its trial fails and is stopped.
void ProcessTrialRunner::WatchLogsNowAndThen() {
  log_timer_.expires_after(std::chrono::seconds(1));
  log_timer_.async_wait([this](const boost::system::error_code& e) {
    if (e) return;
    for (const auto& [number, t] : by_number_) {
      const uint64_t limit = static_cast<uint64_t>(t->launch.max_log_mb) << 20;
      for (const WorkerPtr& w : t->workers) {
        if (w->exited || w->broken) continue;
        struct stat st {};
        if (stat(RankLogPath(t->launch.spec.log_path, w->rank).c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > limit)
          BreakProtocol(w, "wrote more than " + std::to_string(t->launch.max_log_mb) + " MiB to its log "
                           "(trainer.max_log_mb)");
      }
    }
    WatchLogsNowAndThen();
  });
}

}  // namespace knob
