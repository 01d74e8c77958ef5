#include "studies/memory_storage.h"

#include "base/clock.h"

namespace knob {

Result<MemoryStorage::StoredStudy*> MemoryStorage::Find(int64_t study_id) {
  auto it = studies_.find(study_id);
  if (it == studies_.end()) return Error::BadInput("no study with id " + std::to_string(study_id));
  return &it->second;
}

Result<FrozenTrial*> MemoryStorage::FindRunning(int64_t study_id, int number) {
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  if (number < 0 || number >= static_cast<int>(study->snapshot.trials.size())) return UnknownTrialError(number);
  FrozenTrial* trial = &study->snapshot.trials[number];
  if (trial->state != TrialState::kRunning) return NotRunningError(number, trial->state);
  return trial;
}

Result<int64_t> MemoryStorage::CreateStudy(const std::string& name, const std::vector<StudyDirection>& directions,
                                           const nlohmann::json& system_attrs) {
  if (directions.empty()) return Error::BadInput("a study needs at least one direction");
  StudyDirection direction = directions[0];
  std::lock_guard lock(mutex_);
  for (const auto& [id, study] : studies_)
    if (study.record.name == name) return Error::BadInput("study '" + name + "' already exists");
  int64_t id = next_study_id_++;
  StoredStudy& study = studies_[id];
  study.record = {id, name, direction, directions, nlohmann::json::object(), system_attrs};
  study.snapshot = StudySnapshot{id, name, direction, {}, directions};
  return id;
}

Result<StudyRecord> MemoryStorage::FindStudy(const std::string& name) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, study] : studies_)
    if (study.record.name == name) return study.record;
  return Error::BadInput("no study named '" + name + "' in this storage");
}

Result<std::vector<StudyRecord>> MemoryStorage::ListStudies() {
  std::lock_guard lock(mutex_);
  std::vector<StudyRecord> records;
  for (const auto& [id, study] : studies_) records.push_back(study.record);
  return records;
}

Status MemoryStorage::DeleteStudy(int64_t study_id) {
  std::lock_guard lock(mutex_);
  KNOB_RETURN_IF_ERROR(Find(study_id));
  studies_.erase(study_id);
  return {};
}

Status MemoryStorage::SetStudySystemAttr(int64_t study_id, const std::string& key,
                                         const nlohmann::json& value) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  study->record.system_attrs[key] = value;
  return {};
}

Status MemoryStorage::SetStudyUserAttr(int64_t study_id, const std::string& key,
                                       const nlohmann::json& value) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  study->record.user_attrs[key] = value;
  return {};
}

Result<FrozenTrial> MemoryStorage::CreateTrial(int64_t study_id, const SnapshotParts&,
                                               const TrialPlanner& planner) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  KNOB_ASSIGN_OR_RETURN(TrialPlan plan, planner(study->snapshot));
  FrozenTrial base;
  if (plan.waiting_number) {
    int n = *plan.waiting_number;
    if (n < 0 || n >= static_cast<int>(study->snapshot.trials.size()) ||
        study->snapshot.trials[n].state != TrialState::kWaiting)
      return Error::Runtime("planned WAITING trial " + std::to_string(n) + " is not waiting");
    base = study->snapshot.trials[n];
  } else {
    base.trial_id = next_trial_id_++;
    base.number = static_cast<int>(study->snapshot.trials.size());
    study->snapshot.trials.emplace_back();
  }
  FrozenTrial& trial = study->snapshot.trials[base.number];
  trial = ApplyPlan(std::move(base), plan, NowText());
  if (plan.heartbeat) heartbeats_[{study_id, trial.number}] = std::chrono::steady_clock::now();
  return trial;
}

Result<int> MemoryStorage::CreateWaitingTrial(int64_t study_id, const nlohmann::json& user_attrs,
                                              const nlohmann::json& system_attrs) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  FrozenTrial trial;
  trial.trial_id = next_trial_id_++;
  trial.number = static_cast<int>(study->snapshot.trials.size());
  trial.state = TrialState::kWaiting;
  trial.user_attrs = user_attrs;
  trial.system_attrs = system_attrs;
  study->snapshot.trials.push_back(trial);
  return trial.number;
}

Status MemoryStorage::SetIntermediateValue(int64_t study_id, int number, int64_t step,
                                           double value) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(FrozenTrial * trial, FindRunning(study_id, number));
  trial->intermediate_values[step] = value;
  return {};
}

Result<FrozenTrial> MemoryStorage::FinishTrial(int64_t study_id, int number, TrialState state,
                                               std::optional<double> value,
                                               const nlohmann::json& system_attrs,
                                               const nlohmann::json& user_attrs,
                                               const std::vector<double>& values) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(FrozenTrial * trial, FindRunning(study_id, number));
  for (const auto& [key, v] : system_attrs.items()) trial->system_attrs[key] = v;
  for (const auto& [key, v] : user_attrs.items()) trial->user_attrs[key] = v;
  trial->state = state;
  trial->value = value;
  trial->values = values.empty() && value ? std::vector<double>{*value} : values;
  trial->datetime_complete = NowText();
  return *trial;
}

Status MemoryStorage::SetTrialUserAttr(int64_t study_id, int number, const std::string& key,
                                       const nlohmann::json& value) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(FrozenTrial * trial, FindRunning(study_id, number));
  trial->user_attrs[key] = value;
  return {};
}

Status MemoryStorage::SetTrialSystemAttrs(int64_t study_id, int number, const nlohmann::json& attrs) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(FrozenTrial * trial, FindRunning(study_id, number));
  for (const auto& [key, v] : attrs.items()) trial->system_attrs[key] = v;
  return {};
}

Status MemoryStorage::SetTrialParam(int64_t study_id, int number, const std::string& name,
                                    const TrialParam& param) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(FrozenTrial * trial, FindRunning(study_id, number));
  if (!trial->params.emplace(name, param).second) return ParamExistsError(number, name);
  return {};
}

Status MemoryStorage::RecordHeartbeats(int64_t study_id, const std::vector<int>& numbers) {
  std::lock_guard lock(mutex_);
  KNOB_RETURN_IF_ERROR(Find(study_id));
  auto now = std::chrono::steady_clock::now();
  for (int number : numbers)
    if (FindRunning(study_id, number).ok()) heartbeats_[{study_id, number}] = now;
  return {};
}

Result<std::map<int, double>> MemoryStorage::HeartbeatAges(int64_t study_id) {
  std::lock_guard lock(mutex_);
  KNOB_RETURN_IF_ERROR(Find(study_id));
  auto now = std::chrono::steady_clock::now();
  std::map<int, double> ages;
  for (const auto& [key, beat] : heartbeats_)
    if (key.first == study_id && FindRunning(study_id, key.second).ok())
      ages[key.second] = std::chrono::duration<double>(now - beat).count();
  return ages;
}

Result<StudySnapshot> MemoryStorage::ReadStudy(int64_t study_id, const SnapshotParts&) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  return study->snapshot;
}

Result<FrozenTrial> MemoryStorage::ReadTrial(int64_t study_id, int number) {
  std::lock_guard lock(mutex_);
  KNOB_ASSIGN_OR_RETURN(StoredStudy * study, Find(study_id));
  if (number < 0 || number >= static_cast<int>(study->snapshot.trials.size())) return UnknownTrialError(number);
  return study->snapshot.trials[number];
}

}  // namespace knob
