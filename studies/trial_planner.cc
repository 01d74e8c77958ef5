#include "studies/trial_planner.h"

#include <algorithm>
#include <map>

#include "search/distribution_json.h"

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

// Drops the conditional parameters whose condition does not hold under the values
// of the others: they are not part of the trial.
void KeepActive(const SearchSpace& space, std::map<std::string, TrialParam>* params) {
  if (space.conditions.empty()) return;
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, param] : *params) values[name] = param.External();
  std::map<std::string, TrialParam> active;
  for (const auto& name : ActiveParams(space, values))
    if (auto it = params->find(name); it != params->end()) active.insert(*it);
  *params = std::move(active);
}

// The trial an ask hands out (the oldest WAITING one, else a new number), its
// enqueued values that fit `space`, and the sampler's joint draw over `space`.
struct Drawn {
  TrialPlan plan;
  int number;
  InternalParams fixed;
  RelativeSample relative;
};

Result<Drawn> DrawJointly(const StudySnapshot& snapshot, const SearchSpace& space, const Sampler& sampler) {
  const FrozenTrial* waiting = OldestWaiting(snapshot);
  Drawn drawn;
  drawn.number = waiting ? waiting->number : static_cast<int>(snapshot.trials.size());
  drawn.fixed = FixedParams(waiting, space);
  SearchSpace relative_space = sampler.InferRelativeSearchSpace(snapshot, space);
  KNOB_ASSIGN_OR_RETURN(drawn.relative, sampler.SampleRelative(snapshot, drawn.number, relative_space, drawn.fixed));
  if (waiting) drawn.plan.waiting_number = drawn.number;
  drawn.plan.system_attrs = drawn.relative.system_attrs;
  return drawn;
}

}  // namespace

Result<TrialPlan> PlanTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                            const Sampler& sampler) {
  KNOB_ASSIGN_OR_RETURN(Drawn drawn, DrawJointly(snapshot, space, sampler));
  const int number = drawn.number;
  const InternalParams& fixed = drawn.fixed;
  const RelativeSample& relative = drawn.relative;
  TrialPlan plan = std::move(drawn.plan);
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
  KeepActive(space, &plan.params);
  return plan;
}

namespace {

// The parameters every COMPLETE trial holds with the same distribution (Optuna's
// intersection search space; empty when none is COMPLETE).
SearchSpace SharedSpaceOfTrials(const StudySnapshot& snapshot) {
  SearchSpace shared;
  bool first = true;
  for (const auto& trial : snapshot.trials) {
    if (trial.state != TrialState::kComplete) continue;
    if (first) {
      for (const auto& [name, param] : trial.params) shared[name] = param.distribution;
      first = false;
      continue;
    }
    for (auto it = shared.begin(); it != shared.end();) {
      auto have = trial.params.find(it->first);
      it = have != trial.params.end() && have->second.distribution == it->second ? std::next(it) : shared.erase(it);
    }
  }
  return shared;
}

}  // namespace

SearchSpace DefineByRunSpace(const StudySnapshot& snapshot) {
  SearchSpace space = SharedSpaceOfTrials(snapshot);
  // Each other parameter's one distribution over the COMPLETE trials that hold it.
  std::vector<const FrozenTrial*> complete;
  std::map<std::string, std::optional<Distribution>> others;
  for (const auto& trial : snapshot.trials) {
    if (trial.state != TrialState::kComplete) continue;
    complete.push_back(&trial);
    for (const auto& [name, param] : trial.params) {
      if (space.count(name)) continue;
      auto [it, added] = others.try_emplace(name, param.distribution);
      if (!added && it->second && !(*it->second == param.distribution)) it->second.reset();  // several: left out
    }
  }
  // A parameter joins when its presence follows one parameter already in the space
  // (not a float): held exactly by the trials whose parent holds one of the values
  // seen beside it, at least twice as many trials as values (an int that differs in
  // every trial would explain anything). Parents join first, so conditions never
  // form a cycle.
  for (bool grew = true; grew;) {
    grew = false;
    for (auto& [name, distribution] : others) {
      if (!distribution || space.count(name)) continue;
      for (const auto& [parent, parent_distribution] : space) {
        if (std::holds_alternative<FloatDistribution>(parent_distribution)) continue;
        std::vector<double> values;  // internal: one distribution, so equal as the external values are
        bool follows = true;
        size_t holders = 0;
        for (const FrozenTrial* t : complete) {
          if (!t->params.count(name)) continue;
          ++holders;
          auto p = t->params.find(parent);
          if (p == t->params.end() || !(p->second.distribution == parent_distribution)) {
            follows = false;
            break;
          }
          if (std::find(values.begin(), values.end(), p->second.internal) == values.end())
            values.push_back(p->second.internal);
        }
        follows = follows && holders >= 2 * values.size();
        for (const FrozenTrial* t : complete) {
          if (!follows) break;
          auto p = t->params.find(parent);
          bool enabled = p != t->params.end() && p->second.distribution == parent_distribution &&
                         std::find(values.begin(), values.end(), p->second.internal) != values.end();
          follows = enabled == (t->params.count(name) > 0);
        }
        if (!follows) continue;
        ParamCondition condition{parent, {}};
        for (double v : values) condition.values.push_back(ToExternal(parent_distribution, v));
        space[name] = *distribution;
        space.conditions[name] = std::move(condition);
        grew = true;
        break;
      }
    }
  }
  return space;
}

namespace {

// The parameters a trial drew when it started, each with its distribution (entries
// that are not well formed, or hold a value their distribution cannot take, left out).
std::map<std::string, TrialParam> DrawnParams(const FrozenTrial& trial) {
  std::map<std::string, TrialParam> drawn;
  auto attr = trial.system_attrs.find(kRelativeParamsAttr);
  if (attr == trial.system_attrs.end() || !attr->is_object()) return drawn;
  for (const auto& [name, entry] : attr->items()) {
    if (!entry.is_object() || !entry.contains("distribution") || !entry.contains("internal") ||
        !entry["internal"].is_number())
      continue;
    auto distribution = ParseDistribution(name, entry["distribution"]);
    if (!distribution.ok()) continue;
    double internal = entry["internal"].get<double>();
    auto back = ToInternal(name, *distribution, ToExternal(*distribution, internal));  // a value it can take
    if (back.ok() && *back == internal) drawn[name] = TrialParam{*distribution, internal};
  }
  return drawn;
}

// The snapshot with each RUNNING trial holding what it drew and has not suggested
// yet, so that the sampler places a new trial away from the ones just handed out
// (constant liar, believer) as it does for a declared space.
StudySnapshot WithDrawnParams(const StudySnapshot& snapshot) {
  StudySnapshot seen = snapshot;
  for (auto& trial : seen.trials) {
    if (trial.state != TrialState::kRunning) continue;
    for (auto& [name, param] : DrawnParams(trial)) trial.params.try_emplace(name, std::move(param));
  }
  return seen;
}

}  // namespace

Result<TrialPlan> PlanDefineByRunTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                                       const Sampler& sampler) {
  std::optional<StudySnapshot> with_drawn;  // copied only when a running trial has drawn
  if (std::any_of(snapshot.trials.begin(), snapshot.trials.end(), [](const FrozenTrial& t) {
        return t.state == TrialState::kRunning && t.system_attrs.contains(kRelativeParamsAttr);
      }))
    with_drawn = WithDrawnParams(snapshot);
  KNOB_ASSIGN_OR_RETURN(Drawn drawn, DrawJointly(with_drawn ? *with_drawn : snapshot, space, sampler));
  // The enqueued values and the draw, of which only the part they make active is kept.
  std::map<std::string, TrialParam> chosen;
  for (const auto* source : {&drawn.fixed, &drawn.relative.params})
    for (const auto& [name, internal] : *source)
      if (auto d = space.find(name); d != space.end()) chosen.try_emplace(name, TrialParam{d->second, internal});
  KeepActive(space, &chosen);
  nlohmann::json relative_params = nlohmann::json::object();
  for (const auto& [name, param] : chosen) {
    if (drawn.fixed.count(name)) continue;  // enqueued values stay fixed_params'
    relative_params[name] = {{"distribution", ToKnobJson(param.distribution)}, {"internal", param.internal}};
  }
  if (!relative_params.empty()) drawn.plan.system_attrs[kRelativeParamsAttr] = relative_params;
  return std::move(drawn.plan);
}

std::optional<double> RelativeParam(const FrozenTrial& trial, const std::string& name,
                                    const Distribution& distribution) {
  auto drawn = DrawnParams(trial);
  auto it = drawn.find(name);
  if (it == drawn.end() || !(it->second.distribution == distribution)) return std::nullopt;
  return it->second.internal;
}

}  // namespace knob
