#include "studies/storage.h"

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

Error NotRunningError(int number, TrialState state) {
  if (state == TrialState::kWaiting)
    return Error::BadInput("trial " + std::to_string(number) +
                           " is WAITING: it has not been asked for yet");
  return Error::BadInput("trial " + std::to_string(number) + " is already " +
                         TrialStateName(state) + "; a finished trial never changes");
}

}  // namespace knob
