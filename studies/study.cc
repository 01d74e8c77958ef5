#include "studies/study.h"

#include <cmath>

#include "studies/trial_planner.h"

namespace knob {
namespace {

constexpr const char* kSamplerAttr = "knob:sampler";
constexpr const char* kSpaceAttr = "knob:space";

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
      {kSamplerAttr, {{"name", config.sampler.name}, {"options", config.sampler.options}}}};
  if (config.space) attrs[kSpaceAttr] = SearchSpaceToJson(*config.space);
  KNOB_RETURN_IF_ERROR(storage.CreateStudy(config.name, config.direction, attrs));
  return Open(storage, config.name);
}

Result<Study> Study::Open(Storage& storage, const std::string& name) {
  KNOB_ASSIGN_OR_RETURN(StudyRecord record, storage.FindStudy(name));
  Study study(storage, std::move(record));
  const auto& attrs = study.record_.system_attrs;
  if (auto it = attrs.find(kSamplerAttr); it != attrs.end() && it->is_object()) {
    study.sampler_.name = it->value("name", "tpe");
    study.sampler_.options = it->value("options", nlohmann::json::object());
  }
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

Result<FrozenTrial> Study::Ask(const std::optional<SearchSpace>& space) {
  std::optional<SearchSpace> chosen = space ? space : space_;
  std::unique_ptr<Sampler> sampler;
  if (chosen) {
    // Built before the transaction so that a bad space or sampler writes nothing.
    KNOB_ASSIGN_OR_RETURN(sampler, MakeSampler(sampler_, *chosen, memory_.get()));
  }
  // Inferring the space needs every trial's params.
  SnapshotParts parts = sampler ? sampler->PartsNeeded() : SnapshotParts::All();
  return storage_->CreateTrial(record_.study_id, parts, [&](const StudySnapshot& snapshot) -> Result<TrialPlan> {
    if (chosen) return PlanTrial(snapshot, *chosen, *sampler);
    // No space given or stored (a study made by Optuna): the trials imply it.
    SearchSpace inferred = InferSpaceFromTrials(snapshot);
    if (inferred.empty()) return NoSpaceError();
    KNOB_ASSIGN_OR_RETURN(auto inferred_sampler, MakeSampler(sampler_, inferred, memory_.get()));
    return PlanTrial(snapshot, inferred, *inferred_sampler);
  });
}

Status Study::Report(int number, int64_t step, double value) {
  if (step < 0) return Error::BadInput("step must be >= 0, got " + std::to_string(step));
  return storage_->SetIntermediateValue(record_.study_id, number, step, value);
}

Result<FrozenTrial> Study::Tell(int number, const TellRequest& request) {
  TrialState state = request.state;
  std::optional<double> value = request.value;
  nlohmann::json attrs = request.system_attrs;
  switch (state) {
    case TrialState::kComplete:
      if (!value) return Error::BadInput("a COMPLETE trial needs a value");
      if (std::isnan(*value)) {
        state = TrialState::kFail;
        value.reset();
        attrs["knob:fail_reason"] = "the objective value is NaN";
      }
      break;
    case TrialState::kPruned:
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
      if (value) return Error::BadInput("a FAILED trial takes no value");
      break;
    default:
      return Error::BadInput("a trial can only be told COMPLETE, PRUNED or FAIL");
  }
  return storage_->FinishTrial(record_.study_id, number, state, value, attrs);
}

Result<int> Study::Enqueue(const nlohmann::json& params, const nlohmann::json& user_attrs) {
  if (!params.is_object())
    return Error::BadInput("enqueued params must be a JSON object, got " + params.dump());
  if (!user_attrs.is_object())
    return Error::BadInput("user attributes must be a JSON object, got " + user_attrs.dump());
  KNOB_ASSIGN_OR_RETURN(SearchSpace space, EffectiveSpace());
  for (const auto& [name, value] : params.items()) {
    auto d = space.find(name);
    if (d == space.end())
      return Error::BadInput("parameter '" + name + "' is not in the search space of study '" +
                             record_.name + "'");
    KNOB_RETURN_IF_ERROR(ToInternal(name, d->second, value));
  }
  return storage_->CreateWaitingTrial(record_.study_id, user_attrs,
                                      nlohmann::json{{"fixed_params", params}});
}

Status Study::SetUserAttr(std::optional<int> number, const std::string& key,
                          const nlohmann::json& value) {
  if (key.empty()) return Error::BadInput("attribute key is empty");
  if (!number) return storage_->SetStudyUserAttr(record_.study_id, key, value);
  return storage_->SetTrialUserAttr(record_.study_id, *number, key, value);
}

Result<std::optional<FrozenTrial>> Study::BestTrial() {
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, Snapshot());
  const FrozenTrial* best = snapshot.BestTrial();
  if (!best) return std::optional<FrozenTrial>();
  return std::optional<FrozenTrial>(*best);
}

}  // namespace knob
