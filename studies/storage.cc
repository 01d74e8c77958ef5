#include "studies/storage.h"

#include <algorithm>

namespace knob {

FrozenTrial ApplyPlan(FrozenTrial base, const TrialPlan& plan, const std::string& now) {
  base.state = TrialState::kRunning;
  base.datetime_start = now;
  for (const auto& [name, param] : plan.params) base.params[name] = param;
  for (const auto& [key, value] : plan.system_attrs.items()) base.system_attrs[key] = value;
  return base;
}

Error UnknownTrialError(int number) {
  return Error::BadInput("no trial number " + std::to_string(number) + " in this study");
}

Error ParamExistsError(int number, const std::string& name) {
  return Error::BadInput("trial " + std::to_string(number) + " already has a parameter '" + name + "'");
}

Error NotRunningError(int number, TrialState state) {
  if (state == TrialState::kWaiting)
    return Error::BadInput("trial " + std::to_string(number) +
                           " is WAITING: it has not been asked for yet");
  return Error::BadInput("trial " + std::to_string(number) + " is already " +
                         TrialStateName(state) + "; a finished trial never changes");
}

Result<std::vector<int>> Storage::StaleTrials(int64_t study_id, double grace_seconds) {
  KNOB_ASSIGN_OR_RETURN(auto ages, HeartbeatAges(study_id));
  std::vector<int> stale;
  for (const auto& [number, age] : ages)
    if (age > grace_seconds) stale.push_back(number);
  return stale;
}

Result<StudySnapshot> Storage::ReadChangedTrials(int64_t study_id, const TrialChanges& since) {
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, ReadStudy(study_id));
  std::vector<FrozenTrial> changed;
  for (auto& t : snapshot.trials)
    if (t.trial_id > since.after_trial_id ||
        std::find(since.open_trial_ids.begin(), since.open_trial_ids.end(), t.trial_id) != since.open_trial_ids.end())
      changed.push_back(std::move(t));
  snapshot.trials = std::move(changed);
  return snapshot;
}

}  // namespace knob
