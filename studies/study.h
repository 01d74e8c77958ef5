// Study: the one place that joins a study's sampler and its storage. It creates or
// opens a study, hands out trials (ask), records what trainers report (report,
// tell) and answers which trial is best. A study's sampler and search space are
// stored with it (system attributes `knob:sampler`, `knob:space`), so any process
// that opens the study by name behaves the same. One Study object serves one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/pruners/pruner_factory.h"
#include "search/samplers/sampler_factory.h"
#include "search/search_space.h"
#include "studies/storage.h"

namespace knob {

struct StudyConfig {
  std::string name;
  StudyDirection direction = StudyDirection::kMinimize;  // the first objective's
  SamplerSpec sampler;
  std::optional<SearchSpace> space;
  PrunerSpec pruner = {};  // Optuna's default, median
  std::vector<StudyDirection> directions = {};  // several: a multi-objective study (empty: `direction`)

  std::vector<StudyDirection> AllDirections() const { return directions.empty() ? std::vector{direction} : directions; }
};

// What the caller of an ask adds to the trial it gets.
struct AskOptions {
  std::optional<SearchSpace> space;  // overrides the stored space
  // No new trial when this many are already COMPLETE, PRUNED or RUNNING (the
  // budget of `knob run`, checked inside the storage's transaction so that many
  // workers together never exceed it): kExhausted then.
  std::optional<int> budget;
  nlohmann::json system_attrs = nlohmann::json::object();  // stored with the trial
  bool heartbeat = false;  // the trial will beat; record its first heartbeat
};

// What a trainer or user says about a finished trial.
struct TellRequest {
  TrialState state = TrialState::kComplete;  // kComplete, kPruned or kFail
  std::optional<double> value;               // needed for kComplete; NaN fails the trial
  std::vector<double> values = {};           // instead of value: one per objective
  std::optional<std::vector<double>> constraints = std::nullopt;  // <= 0 is feasible; stored as Optuna does
  nlohmann::json system_attrs = nlohmann::json::object();  // e.g. a failure's reason
  nlohmann::json user_attrs = nlohmann::json::object();    // e.g. a trainer's final metrics
};

class Study {
 public:
  // Checks the config fully before writing; bad input leaves the storage unchanged.
  static Status Validate(const StudyConfig& config);
  static Result<Study> Create(Storage& storage, const StudyConfig& config);
  static Result<Study> Open(Storage& storage, const std::string& name);

  const StudyRecord& record() const { return record_; }
  size_t objectives() const { return std::max<size_t>(1, record_.directions.size()); }
  const SamplerSpec& sampler_spec() const { return sampler_; }
  const PrunerSpec& pruner_spec() const { return pruner_; }
  const std::optional<SearchSpace>& space() const { return space_; }

  // A RUNNING trial with its params: the oldest WAITING trial if any, else a new
  // one. `space` overrides the stored space; without either, the space is inferred
  // from the params of earlier trials (a study made by Optuna). kExhausted when the
  // grid is used up.
  Result<FrozenTrial> Ask(const std::optional<SearchSpace>& space = std::nullopt) {
    AskOptions options;
    options.space = space;
    return Ask(options);
  }
  Result<FrozenTrial> Ask(const AskOptions& options);
  // Define-by-run: the value of parameter `name` of RUNNING trial `number`, as a
  // trainer's suggest_* asks for it. A parameter the trial has (declared by the
  // space, or suggested before) is returned when `distribution` is the same, else
  // bad input naming both; one a retry or enqueue fixed is recorded as fixed; any
  // other is drawn by the study's sampler (TPE on the trials that have it, as
  // Optuna's independent sampling) and recorded with its distribution.
  Result<nlohmann::json> Suggest(int number, const std::string& name, const Distribution& distribution);
  // Stores the value and asks the study's pruner: true when the trial should stop.
  Result<bool> Report(int number, int64_t step, double value);
  // COMPLETE needs a value; a NaN value fails the trial; PRUNED without a value
  // takes the last intermediate value.
  Result<FrozenTrial> Tell(int number, const TellRequest& request);
  // Adds a WAITING trial with these fixed params (external values); returns its number.
  Result<int> Enqueue(const nlohmann::json& params,
                      const nlohmann::json& user_attrs = nlohmann::json::object());
  // The same, unless a trial of the study already has these params or is queued with
  // them (the same names, equal values): Optuna's enqueue_trial(skip_if_exists=True).
  // Nothing then. Checked and written in two steps: two processes enqueuing the same
  // params at the same moment may both queue them.
  Result<std::optional<int>> EnqueueIfNew(const nlohmann::json& params,
                                          const nlohmann::json& user_attrs = nlohmann::json::object());
  // Queues a WAITING copy of a failed trial (same params and user attributes),
  // as Optuna's RetryFailedTrialCallback does: system attributes `failed_trial`
  // (the first of the line) and `retry_history` (the numbers so far). Nothing when
  // the line has already been retried `max_retries` times, unless `always`.
  // Returns the new trial's number.
  Result<std::optional<int>> Retry(const FrozenTrial& failed, int max_retries, bool always = false);
  // Replaces the stored sampler, pruner and space with `config`'s (a study file
  // run again after an edit). The direction cannot change.
  Status Reconfigure(const StudyConfig& config);
  Status SetUserAttr(std::optional<int> number, const std::string& key, const nlohmann::json& value);
  // A system attribute of the RUNNING trial `number`, as Optuna's set_system_attr
  // writes it; bad input for a key knob itself writes and reads (`knob:` ones, the
  // samplers', pruners', retries' and constraints'), which a trainer may not forge.
  Status SetSystemAttr(int number, const std::string& key, const nlohmann::json& value);

  Result<StudySnapshot> Snapshot() { return storage_->ReadStudy(record_.study_id); }
  // Nothing when no trial is COMPLETE yet.
  Result<std::optional<FrozenTrial>> BestTrial();
  // The Pareto front of the COMPLETE feasible trials (pareto.h), by number.
  Result<std::vector<FrozenTrial>> BestTrials();

 private:
  Study(Storage& storage, StudyRecord record);
  // The stored space, else the one the study's trials imply.
  Result<SearchSpace> EffectiveSpace();
  Error NoSpaceError() const;
  // Bad input for params an enqueue cannot fix (not in the space, not a value).
  Status CheckEnqueued(const nlohmann::json& params, const nlohmann::json& user_attrs);

  Storage* storage_;
  StudyRecord record_;
  SamplerSpec sampler_;
  PrunerSpec pruner_;
  std::optional<SearchSpace> space_;
  // What the sampler keeps between this study's asks; one thread at a time.
  std::shared_ptr<SamplerMemory> memory_;  // copies of a Study share it
};

// The search space implied by the params of a study's trials (the latest
// distribution of each name).
SearchSpace InferSpaceFromTrials(const StudySnapshot& snapshot);

}  // namespace knob
