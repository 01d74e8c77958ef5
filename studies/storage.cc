#include "studies/storage.h"

namespace knob {

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
