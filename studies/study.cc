#include "studies/study.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/json_field.h"
#include "base/input_reader.h"
#include "base/json_text.h"
#include "search/distribution_json.h"
#include "search/pareto.h"
#include "search/samplers/auto_sampler.h"
#include "search/samplers/gp/gp_sampler.h"
#include "studies/trial_planner.h"

namespace knob {
namespace {

constexpr const char* kSamplerAttr = "knob:sampler";
constexpr const char* kSpaceAttr = "knob:space";
constexpr const char* kPrunerAttr = "knob:pruner";

// Finished or running trials: what a budget counts.
int CountTowardsBudget(const StudySnapshot& snapshot) {
  int n = 0;
  for (const auto& t : snapshot.trials)
    n += t.state == TrialState::kComplete || t.state == TrialState::kPruned ||
         t.state == TrialState::kRunning;
  return n;
}

}  // namespace

SearchSpace InferSpaceFromTrials(const StudySnapshot& snapshot) {
  SearchSpace space;
  for (const auto& trial : snapshot.trials)
    for (const auto& [name, param] : trial.params) space[name] = param.distribution;
  return space;
}

Status Study::Validate(const StudyConfig& config) {
  if (config.name.empty()) return Error::BadInput("study name is empty");
  KNOB_RETURN_IF_ERROR(ValidateSamplerSpec(config.sampler));
  KNOB_RETURN_IF_ERROR(ValidatePrunerSpec(config.pruner));
  if (config.directions.size() > 1 && config.pruner.name != "nop")
    return Error::BadInput("pruner: a study of " + std::to_string(config.directions.size()) +
                           " objectives cannot prune (as in Optuna); leave the pruner out or use nop");
  if (config.directions.size() <= 1 && config.sampler.name == "nsga2")
    return Error::BadInput("sampler: nsga2 is for studies of several objectives (directions: [...])");
  if (config.directions.size() > 1 && config.sampler.name == "gp")
    return Error::BadInput("sampler: gp models one objective; a study of " + std::to_string(config.directions.size()) +
                           " objectives needs auto, tpe or nsga2");
  if (!config.directions.empty() && config.directions[0] != config.direction)
    return Error::BadInput("direction and directions[0] differ");
  if (config.space) {
    // Building the sampler checks what needs the space (a grid's floats need steps).
    auto sampler = MakeSampler(config.sampler, *config.space);
    if (!sampler.ok()) return sampler.error();
  } else if (config.sampler.name == "grid") {
    return Error::BadInput("grid sampler needs a search space: give --space");
  }
  return {};
}

Result<Study> Study::Create(Storage& storage, const StudyConfig& config) {
  KNOB_RETURN_IF_ERROR(Validate(config));
  nlohmann::json attrs = {
      {kSamplerAttr, {{"name", config.sampler.name}, {"options", config.sampler.options}}},
      {kPrunerAttr, config.pruner.ToJson()}};
  if (config.space) attrs[kSpaceAttr] = SearchSpaceToJson(*config.space);
  KNOB_RETURN_IF_ERROR(storage.CreateStudy(
      config.name, config.AllDirections(), attrs));
  return Open(storage, config.name);
}

Result<Study> Study::Open(Storage& storage, const std::string& name) {
  KNOB_ASSIGN_OR_RETURN(StudyRecord record, storage.FindStudy(name));
  Study study(storage, std::move(record));
  const auto& attrs = study.record_.system_attrs;
  // A study Optuna made with several objectives: NSGA-II, as Optuna 3.1's default there.
  if (study.objectives() > 1) study.sampler_.name = "nsga2";
  if (auto it = attrs.find(kSamplerAttr); it != attrs.end() && it->is_object()) {
    study.sampler_.name = FieldOr<std::string>(*it, "name", "tpe");
    study.sampler_.options = it->value("options", nlohmann::json::object());
  }
  if (auto it = attrs.find(kPrunerAttr); it != attrs.end())
    study.pruner_ = PrunerSpecFromStored(*it);
  if (auto it = attrs.find(kSpaceAttr); it != attrs.end()) {
    KNOB_ASSIGN_OR_RETURN(study.space_, ParseSearchSpace(*it));
  }
  return study;
}

Study::Study(Storage& storage, StudyRecord record)
    : storage_(&storage), record_(std::move(record)), memory_(std::make_shared<SamplerMemory>()) {}

Error Study::NoSpaceError() const {
  return Error::BadInput("study '" + record_.name + "' has no search space: give one with --space");
}

Result<SearchSpace> Study::EffectiveSpace() {
  if (space_) return *space_;
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, Snapshot());
  SearchSpace inferred = InferSpaceFromTrials(snapshot);
  if (inferred.empty()) return NoSpaceError();
  return inferred;
}

Result<FrozenTrial> Study::Ask(const AskOptions& options) {
  std::optional<SearchSpace> chosen = options.space ? options.space : space_;
  std::unique_ptr<Sampler> sampler;
  if (chosen) {
    // Built before the transaction so that a bad space or sampler writes nothing.
    KNOB_ASSIGN_OR_RETURN(sampler, MakeSampler(sampler_, *chosen, memory_.get()));
  }
  // Inferring the space needs every trial's params.
  SnapshotParts parts = sampler ? sampler->PartsNeeded() : SnapshotParts::All();
  // A define-by-run ask also reads what the running trials drew (trial_planner.h).
  if (chosen && chosen->empty()) parts.params = parts.system_attrs = true;
  auto plan_trial = [&](const StudySnapshot& snapshot) -> Result<TrialPlan> {
    if (options.budget && CountTowardsBudget(snapshot) >= *options.budget)
      return Error::Exhausted("the study's budget of " + std::to_string(*options.budget) +
                              " trials is used up");
    if (chosen && chosen->empty() && sampler_.name != "grid") {
      // Define-by-run: the space the finished trials imply is drawn jointly now (trial_planner.h).
      SearchSpace inferred = DefineByRunSpace(snapshot);
      KNOB_ASSIGN_OR_RETURN(auto inferred_sampler, MakeSampler(sampler_, inferred, memory_.get()));
      return PlanDefineByRunTrial(snapshot, inferred, *inferred_sampler);
    }
    if (chosen) return PlanTrial(snapshot, *chosen, *sampler);
    // No space given or stored (a study made by Optuna): the trials imply it.
    SearchSpace inferred = InferSpaceFromTrials(snapshot);
    if (inferred.empty()) return NoSpaceError();
    KNOB_ASSIGN_OR_RETURN(auto inferred_sampler, MakeSampler(sampler_, inferred, memory_.get()));
    return PlanTrial(snapshot, inferred, *inferred_sampler);
  };
  return storage_->CreateTrial(record_.study_id, parts, [&](const StudySnapshot& snapshot) -> Result<TrialPlan> {
    // A study deleted since it was opened (its id perhaps taken by a new one) gets no trial.
    if (snapshot.name != record_.name)
      return Error::Runtime("study '" + record_.name + "' was deleted while in use");
    KNOB_ASSIGN_OR_RETURN(TrialPlan plan, plan_trial(snapshot));
    for (const auto& [key, value] : options.system_attrs.items()) plan.system_attrs[key] = value;
    plan.heartbeat = options.heartbeat;
    return plan;
  });
}

Result<nlohmann::json> Study::Suggest(int number, const std::string& name, const Distribution& distribution) {
  KNOB_RETURN_IF_ERROR(knob::Validate(name, distribution));
  KNOB_ASSIGN_OR_RETURN(FrozenTrial trial, storage_->ReadTrial(record_.study_id, number));
  if (trial.state != TrialState::kRunning) return NotRunningError(number, trial.state);
  if (auto have = trial.params.find(name); have != trial.params.end()) {
    if (have->second.distribution == distribution) return have->second.External();
    return Error::BadInput("parameter '" + name + "' was suggested as " + DumpJson(ToKnobJson(distribution)) +
                           " but the study has it as " + DumpJson(ToKnobJson(have->second.distribution)));
  }
  std::optional<double> internal;
  auto fixed = trial.system_attrs.find("fixed_params");
  if (fixed != trial.system_attrs.end() && fixed->is_object() && fixed->contains(name)) {
    auto value = ToInternal(name, distribution, (*fixed)[name]);
    if (value.ok()) internal = *value;
  }
  if (!internal) internal = RelativeParam(trial, name, distribution);
  if (!internal) {
    if (sampler_.name == "grid")
      return Error::BadInput("the grid sampler cannot draw parameter '" + name +
                             "': declare it in the study's space");
    SearchSpace one;
    one[name] = distribution;
    KNOB_ASSIGN_OR_RETURN(auto sampler, MakeSampler(sampler_, one, nullptr));
    KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage_->ReadStudy(record_.study_id, sampler->PartsNeeded()));
    SearchSpace relative = sampler->InferRelativeSearchSpace(snapshot, one);
    if (!relative.empty()) {
      KNOB_ASSIGN_OR_RETURN(RelativeSample sample, sampler->SampleRelative(snapshot, number, relative, {}));
      if (auto drawn = sample.params.find(name); drawn != sample.params.end()) internal = drawn->second;
    }
    if (!internal) {
      KNOB_ASSIGN_OR_RETURN(internal, sampler->SampleIndependent(snapshot, number, name, distribution));
    }
  }
  TrialParam param{distribution, *internal};
  KNOB_RETURN_IF_ERROR(storage_->SetTrialParam(record_.study_id, number, name, param));
  return param.External();
}

Result<bool> Study::Report(int number, int64_t step, double value) {
  if (step < 0) return Error::BadInput("step must be >= 0, got " + std::to_string(step));
  KNOB_ASSIGN_OR_RETURN(auto pruner, MakePruner(pruner_));
  KNOB_RETURN_IF_ERROR(storage_->SetIntermediateValue(record_.study_id, number, step, value));
  // Several objectives never prune (as in Optuna); their reports are kept for plots.
  if (dynamic_cast<NopPruner*>(pruner.get()) || objectives() > 1) return false;
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot,
                        storage_->ReadStudy(record_.study_id, pruner->PartsNeeded()));
  auto self = std::find_if(snapshot.trials.begin(), snapshot.trials.end(),
                           [&](const FrozenTrial& t) { return t.number == number; });
  if (self == snapshot.trials.end()) return UnknownTrialError(number);
  FrozenTrial trial = *self;
  if (!pruner->PartsNeeded().intermediate_values) {
    // The pruner reads only this trial's values: read them alone.
    KNOB_ASSIGN_OR_RETURN(trial, storage_->ReadTrial(record_.study_id, number));
  }
  PruneDecision decision = pruner->Prune(snapshot, trial);
  if (!decision.system_attrs.empty())
    KNOB_RETURN_IF_ERROR(storage_->SetTrialSystemAttrs(record_.study_id, number, decision.system_attrs));
  return decision.prune;
}

Result<FrozenTrial> Study::Tell(int number, const TellRequest& request) {
  TrialState state = request.state;
  std::optional<double> value = request.value;
  std::vector<double> values = request.values;
  if (values.size() == 1 && !value) value = values[0];
  if (value && values.empty()) values = {*value};
  nlohmann::json attrs = request.system_attrs;
  if (request.constraints) {
    nlohmann::json constraints = nlohmann::json::array();
    for (double c : *request.constraints)
      constraints.push_back(std::isnan(c) ? nlohmann::json() : nlohmann::json(c));
    attrs[kConstraintsAttr] = constraints;
  }
  switch (state) {
    case TrialState::kComplete:
      if (values.empty()) return Error::BadInput("a COMPLETE trial needs a value");
      if (values.size() != objectives())
        return Error::BadInput("study '" + record_.name + "' has " + std::to_string(objectives()) +
                               (objectives() == 1 ? " objective" : " objectives") + "; got " +
                               std::to_string(values.size()) + (values.size() == 1 ? " value" : " values"));
      value = values[0];
      if (std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) {
        state = TrialState::kFail;
        value.reset();
        values.clear();
        attrs["knob:fail_reason"] = "the objective value is NaN";
      }
      break;
    case TrialState::kPruned:
      if (objectives() > 1) {  // as in Optuna: a pruned trial of several objectives has no values
        value.reset();
        values.clear();
        break;
      }
      values.clear();
      if (value && std::isnan(*value)) value.reset();
      if (!value) {
        KNOB_ASSIGN_OR_RETURN(FrozenTrial trial, storage_->ReadTrial(record_.study_id, number));
        if (!trial.intermediate_values.empty()) {
          double last = trial.intermediate_values.rbegin()->second;
          if (!std::isnan(last)) value = last;
        }
      }
      break;
    case TrialState::kFail:
      if (value || !values.empty()) return Error::BadInput("a FAILED trial takes no value");
      break;
    default:
      return Error::BadInput("a trial can only be told COMPLETE, PRUNED or FAIL");
  }
  if (objectives() == 1) values.clear();  // a single value is `value`
  return storage_->FinishTrial(record_.study_id, number, state, value, attrs, request.user_attrs, values);
}

Result<int> Study::Enqueue(const nlohmann::json& params, const nlohmann::json& user_attrs) {
  KNOB_RETURN_IF_ERROR(CheckEnqueued(params, user_attrs));
  return storage_->CreateWaitingTrial(record_.study_id, user_attrs,
                                      nlohmann::json{{"fixed_params", params}});
}

Result<std::optional<int>> Study::EnqueueIfNew(const nlohmann::json& params, const nlohmann::json& user_attrs) {
  KNOB_RETURN_IF_ERROR(CheckEnqueued(params, user_attrs));
  SnapshotParts parts = SnapshotParts::StatesOnly();
  parts.params = true;
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage_->ReadStudy(record_.study_id, parts));
  for (const FrozenTrial& t : snapshot.trials) {
    auto fixed = t.system_attrs.find("fixed_params");
    nlohmann::json held = fixed != t.system_attrs.end() && fixed->is_object() ? *fixed : t.ParamsJson();
    if (held == params) return std::optional<int>();  // nlohmann compares 3 and 3.0 as equal numbers
  }
  KNOB_ASSIGN_OR_RETURN(int number, storage_->CreateWaitingTrial(record_.study_id, user_attrs,
                                                                 nlohmann::json{{"fixed_params", params}}));
  return std::optional<int>(number);
}

Status Study::CheckEnqueued(const nlohmann::json& params, const nlohmann::json& user_attrs) {
  if (!params.is_object())
    return Error::BadInput("enqueued params must be a JSON object, got " + DumpJson(params));
  if (!user_attrs.is_object())
    return Error::BadInput("user attributes must be a JSON object, got " + DumpJson(user_attrs));
  // A define-by-run study (an empty space) takes any names: a suggestion of one
  // uses the fixed value when it fits the suggested distribution (as in Optuna).
  bool define_by_run = space_ && space_->empty();
  SearchSpace space;
  if (!define_by_run) {
    KNOB_ASSIGN_OR_RETURN(space, EffectiveSpace());
  }
  for (const auto& [name, value] : params.items()) {
    auto d = space.find(name);
    if (d != space.end()) {
      KNOB_RETURN_IF_ERROR(ToInternal(name, d->second, value));
    } else if (!define_by_run) {
      return Error::BadInput("parameter '" + name + "' is not in the search space of study '" +
                             record_.name + "'");
    } else if (!value.is_primitive()) {
      return Error::BadInput("enqueued parameter '" + name + "': expected a number, string, bool or null, got " +
                             DumpJson(value));
    }
  }
  return {};
}

Result<std::optional<int>> Study::Retry(const FrozenTrial& failed, int max_retries, bool always) {
  nlohmann::json history = failed.system_attrs.value("retry_history", nlohmann::json::array());
  if (!history.is_array()) history = nlohmann::json::array();
  history.push_back(failed.number);
  if (!always && static_cast<int>(history.size()) > max_retries) return std::optional<int>();
  nlohmann::json attrs = {{"fixed_params", failed.ParamsJson()},
                          {"failed_trial", FieldOr<int>(failed.system_attrs, "failed_trial", failed.number)},
                          {"retry_history", history}};
  nlohmann::json user_attrs = failed.user_attrs;
  KNOB_ASSIGN_OR_RETURN(int number, storage_->CreateWaitingTrial(record_.study_id, user_attrs, attrs));
  return std::optional<int>(number);
}

Status Study::Reconfigure(const StudyConfig& config) {
  KNOB_RETURN_IF_ERROR(Validate(config));
  if (config.direction != record_.direction)
    return Error::BadInput("study '" + record_.name + "' exists with direction " +
                           DirectionName(record_.direction) + "; its direction cannot change");
  nlohmann::json sampler = {{"name", config.sampler.name}, {"options", config.sampler.options}};
  KNOB_RETURN_IF_ERROR(storage_->SetStudySystemAttr(record_.study_id, kSamplerAttr, sampler));
  KNOB_RETURN_IF_ERROR(storage_->SetStudySystemAttr(record_.study_id, kPrunerAttr, config.pruner.ToJson()));
  if (config.space)
    KNOB_RETURN_IF_ERROR(storage_->SetStudySystemAttr(record_.study_id, kSpaceAttr,
                                                      SearchSpaceToJson(*config.space)));
  sampler_ = config.sampler;
  pruner_ = config.pruner;
  if (config.space) space_ = config.space;
  return {};
}

Status Study::SetUserAttr(std::optional<int> number, const std::string& key,
                          const nlohmann::json& value) {
  // Any key, "" too, as Optuna's set_user_attr takes it.
  if (!number) return storage_->SetStudyUserAttr(record_.study_id, key, value);
  return storage_->SetTrialUserAttr(record_.study_id, *number, key, value);
}

Status Study::SetSystemAttr(int number, const std::string& key, const nlohmann::json& value) {
  static const std::set<std::string> kKnobsOwn = {
      kAutoSamplerAttr, kGpKernelAttr, "grid_id", "search_space", "nsga2:generation", kConstraintsAttr,
      "fixed_params", "failed_trial", "retry_history"};
  if (key.rfind("knob:", 0) == 0 || key.rfind("completed_rung_", 0) == 0 || kKnobsOwn.count(key))
    return Error::BadInput("system attribute " + QuoteForMessage(key) + " is knob's own; a trainer may not set it");
  return storage_->SetTrialSystemAttrs(record_.study_id, number, nlohmann::json{{key, value}});
}

Result<std::vector<FrozenTrial>> Study::BestTrials() {
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, Snapshot());
  std::vector<FrozenTrial> front;
  for (const FrozenTrial* t : ParetoFront(snapshot)) front.push_back(*t);
  return front;
}

Result<std::optional<FrozenTrial>> Study::BestTrial() {
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, Snapshot());
  const FrozenTrial* best = snapshot.BestTrial();
  if (!best) return std::optional<FrozenTrial>();
  return std::optional<FrozenTrial>(*best);
}

}  // namespace knob
