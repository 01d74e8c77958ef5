// The trainer protocol's messages (DESIGN.md "The trainer protocol", README
// "Trainer protocol"), the one spelling of both sides' lines: JSON lines on the
// control channel, and the `{"knob_result": V}` stdout line of trainers that never
// open the channel. Values are JSON numbers or the NaN / Infinity / -Infinity that
// Python's json.dumps writes; a message may carry its objective in "value" or under
// the study's metric name in "metrics". Protocol 2 adds hello (a worker that serves
// many trials), suggest (define-by-run), user_attr and fail, and knob's trial line;
// protocol 3 adds study (what an objective reads of its study: Optuna's trial.study),
// system_attr (Optuna's set_system_attr, which OptunaSearchCV's objective calls),
// enqueue (a script's study.enqueue_trial, run unchanged), and a second hello whose
// "serves" is false (a serving worker that ends between trials).
// Called by the process trial runner.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/trial.h"
#include "studies/storage.h"

namespace knob {

// The protocol version knob speaks (KNOB_PROTOCOL in every trainer's environment).
inline constexpr int kProtocolVersion = 3;

struct TrainerMessage {
  enum class Type {
    kHello,     // {"type":"hello","protocol":3,"serves":true,"prunes_itself":true}: not answered
    kReport,    // answered by a decision
    kSuggest,   // {"type":"suggest","name":N,"distribution":{...}}: answered by a param
    kUserAttr,  // {"type":"user_attr","key":K,"value":V,"study":true}: answered by ok
    kSystemAttr,  // {"type":"system_attr","key":K,"value":V}: answered by ok (or an error)
    kStudy,     // {"type":"study","trials":true}: answered by the study line (with every trial)
    kEnqueue,   // {"type":"enqueue","params":{...},"user_attrs":{...}}: answered by ok
    kResult,    // the trial's end: not answered
    kFail,      // {"type":"fail","reason":"..."}: the trial's end, FAILed: not answered
  };
  Type type = Type::kReport;
  int64_t step = 0;             // reports only
  std::optional<double> value;  // "value", else metrics[metric]; may be NaN
  nlohmann::json metrics = nlohmann::json::object();
  bool serves = false;          // hello: it takes more trials after its result
  bool prunes_itself = false;   // hello: a prune decision is advice; it ends PRUNED only by saying so
  bool pruned = false;          // result: the trainer pruned itself (Optuna's TrialPruned)
  bool with_trials = false;     // study: every trial too (Optuna's study.trials)
  bool of_study = false;        // user_attr: the study's, not the trial's (study.set_user_attr)
  std::vector<double> values;   // result: "values", one per objective (value is the first)
  std::optional<std::vector<double>> constraints;  // result: "constraints" (<= 0 is feasible)
  std::string name;             // suggest: the parameter; user_attr, system_attr: the key
  nlohmann::json distribution;  // suggest: knob's space form of one parameter
  nlohmann::json attr_value;    // user_attr, system_attr
  nlohmann::json params;        // enqueue: the params to queue (any subset)
  nlohmann::json user_attrs;    // enqueue: the queued trial's user attributes (an object)
  std::string reason;           // fail: one line, at most 1000 bytes
};

// Whether knob owes the trainer an answer to this message.
bool IsAnswered(TrainerMessage::Type type);

// Bad input naming what is wrong with the line (every line first goes through
// base/input_reader: size, depth, UTF-8 and number ranges).
Result<TrainerMessage> ParseTrainerMessage(const std::string& line, const std::string& metric);

// {"type":"decision","prune":true}\n
std::string DecisionLine(bool prune);
// {"type":"param","name":"lr","value":0.01}\n
std::string ParamLine(const std::string& name, const nlohmann::json& value);
// {"type":"ok"}\n
std::string OkLine();
// The answer to a study request: {"type":"study","name":...,"directions":["minimize"],
// "user_attrs":{...},"n_complete":N,"best_trials":[{"number","value","values","params",
// "user_attrs"}]}: the best COMPLETE trial (a feasible one first), or with several
// objectives the Pareto front; none before the first COMPLETE trial. With
// `with_trials`, "trials": every trial as Optuna's study.trials lists them, by number:
// {"number","state","value","values","params","user_attrs"}.
std::string StudyLine(const StudyRecord& record, const StudySnapshot& snapshot, bool with_trials = false);
// The next trial of a worker that serves many: what a one-shot trainer finds in
// its environment and folder.
struct NextTrial {
  int number = 0;
  nlohmann::json params = nlohmann::json::object();
  std::string trial_dir, working_dir, log_path;
  std::string resume_dir;  // "" when none
};
std::string TrialLine(const NextTrial& trial);
// {"type":"error","message":"..."}\n: the answer to a line knob could not take, so
// that a trainer waiting for a decision gets an answer (its helper raises it).
std::string ErrorLine(const std::string& message);

// What one trainer may send on its channel; past these its trial FAILs
// (kind "protocol"), so that no trainer can stall knob or fill its memory.
struct ChannelLimits {
  size_t max_line_bytes = 1u << 20;   // one message
  double messages_per_second = 200;   // sustained, on average
  double message_burst = 2000;        // and at most this many at once
  size_t max_unread_answers = 10000;  // answers the trainer has not read yet
  size_t read_bytes_per_turn = 1u << 18;  // then other trials' events get their turn
  int max_enqueues = 100;             // trials one trial may queue (a script's baselines)
};

// The value of the last `{"knob_result": V}` line of `log_path`, if any (reads at
// most the last 8 MiB).
std::optional<double> FindStdoutResult(const std::string& log_path);

}  // namespace knob
