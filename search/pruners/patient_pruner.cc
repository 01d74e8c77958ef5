#include "search/pruners/patient_pruner.h"

#include <cmath>
#include <vector>

namespace knob {
namespace {

// numpy's nanmin / nanmax: NaN only when every value is NaN.
double NanExtreme(const std::vector<double>& values, bool maximum) {
  double best = NAN;
  for (double v : values)
    if (!std::isnan(v) && (std::isnan(best) || (maximum ? v > best : v < best))) best = v;
  return best;
}

}  // namespace

SnapshotParts PatientPruner::PartsNeeded() const {
  return wrapped_ ? wrapped_->PartsNeeded() : SnapshotParts::Minimal();
}

PruneDecision PatientPruner::Prune(const StudySnapshot& study, const FrozenTrial& trial) const {
  const auto& values = trial.intermediate_values;
  if (values.size() <= static_cast<size_t>(patience_) + 1) return {};
  std::vector<double> before, after;
  size_t split = values.size() - patience_ - 1;
  for (const auto& [step, value] : values) (before.size() < split ? before : after).push_back(value);
  bool maybe_prune;
  if (study.direction == StudyDirection::kMinimize)
    maybe_prune = NanExtreme(before, false) + min_delta_ < NanExtreme(after, false);
  else
    maybe_prune = NanExtreme(before, true) - min_delta_ > NanExtreme(after, true);
  if (!maybe_prune) return {};
  return wrapped_ ? wrapped_->Prune(study, trial) : PruneDecision{true};
}

}  // namespace knob
