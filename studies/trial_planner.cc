#include "studies/trial_planner.h"

namespace knob {
namespace {

const FrozenTrial* OldestWaiting(const StudySnapshot& snapshot) {
  for (const auto& trial : snapshot.trials)
    if (trial.state == TrialState::kWaiting) return &trial;
  return nullptr;
}

// The enqueued values that fit today's space; others are left to the sampler.
InternalParams FixedParams(const FrozenTrial* waiting, const SearchSpace& space) {
  InternalParams fixed;
  if (!waiting) return fixed;
  auto it = waiting->system_attrs.find("fixed_params");
  if (it == waiting->system_attrs.end() || !it->is_object()) return fixed;
  for (const auto& [name, value] : it->items()) {
    auto d = space.find(name);
    if (d == space.end()) continue;
    auto internal = ToInternal(name, d->second, value);
    if (internal.ok()) fixed[name] = *internal;
  }
  return fixed;
}

}  // namespace

Result<TrialPlan> PlanTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                            const Sampler& sampler) {
  const FrozenTrial* waiting = OldestWaiting(snapshot);
  int number = waiting ? waiting->number : static_cast<int>(snapshot.trials.size());
  InternalParams fixed = FixedParams(waiting, space);

  SearchSpace relative_space = sampler.InferRelativeSearchSpace(snapshot, space);
  KNOB_ASSIGN_OR_RETURN(RelativeSample relative,
                        sampler.SampleRelative(snapshot, number, relative_space, fixed));

  TrialPlan plan;
  if (waiting) plan.waiting_number = number;
  plan.system_attrs = relative.system_attrs;
  for (const auto& [name, distribution] : space) {
    double internal;
    if (auto f = fixed.find(name); f != fixed.end()) {
      internal = f->second;
    } else if (auto r = relative.params.find(name); r != relative.params.end()) {
      internal = r->second;
    } else {
      KNOB_ASSIGN_OR_RETURN(internal, sampler.SampleIndependent(snapshot, number, name, distribution));
    }
    plan.params[name] = TrialParam{distribution, internal};
  }
  if (!space.conditions.empty()) {
    // Conditional parameters whose condition does not hold are not part of the trial.
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [name, param] : plan.params) values[name] = param.External();
    std::map<std::string, TrialParam> active;
    for (const auto& name : ActiveParams(space, values)) active[name] = plan.params[name];
    plan.params = std::move(active);
  }
  return plan;
}

}  // namespace knob
