#include "search/samplers/tpe/tpe_sampler.h"

#include <algorithm>
#include <set>

#include "search/samplers/tpe/group_decomposition.h"
#include "search/samplers/tpe/parzen_estimator.h"
#include "search/samplers/tpe/trial_ranking.h"
#include "search/samplers/uniform.h"

namespace knob {
namespace {

int CountFinished(const StudySnapshot& study) {
  int n = 0;
  for (const auto& t : study.trials)
    n += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
  return n;
}

// True when the trial has every named parameter with the space's distribution.
bool HasGroup(const FrozenTrial& trial, const std::vector<std::string>& names, const SearchSpace& space) {
  for (const auto& name : names) {
    auto p = trial.params.find(name);
    if (p == trial.params.end() || !(p->second.distribution == space.at(name))) return false;
  }
  return true;
}

}  // namespace

SearchSpace TpeSampler::InferRelativeSearchSpace(const StudySnapshot& study,
                                                 const SearchSpace& space) const {
  if (CountFinished(study) < std::max(options_.n_startup_trials, 1)) return {};
  SearchSpace relative;
  for (const auto& [name, distribution] : space)
    if (!IsSingleValued(distribution)) relative[name] = distribution;
  return relative;
}

Result<RelativeSample> TpeSampler::SampleRelative(const StudySnapshot& study, int trial_number,
                                                  const SearchSpace& relative_space,
                                                  const InternalParams& fixed) const {
  RelativeSample sample;
  if (relative_space.empty()) return sample;
  RankedTrials ranking = RankTrials(study, options_.constant_liar);
  size_t n_below = std::min<size_t>(options_.NumberBelow(ranking.n_finished), ranking.n_finished);

  // The groups drawn jointly: from the parameter sets of the history.
  std::vector<std::vector<std::string>> groups;
  if (!options_.multivariate) {
    for (const auto& [name, d] : relative_space) groups.push_back({name});
  } else {
    std::vector<std::set<std::string>> param_sets;
    for (const FrozenTrial* t : ranking.ranked) {
      std::set<std::string> names;
      for (const auto& [name, param] : t->params) {
        auto d = relative_space.find(name);
        if (d != relative_space.end() && param.distribution == d->second) names.insert(name);
      }
      param_sets.push_back(std::move(names));
    }
    if (!options_.group) {
      // One group of the parameters every trial has.
      std::set<std::string> common = param_sets.empty() ? std::set<std::string>() : param_sets.front();
      for (const auto& s : param_sets) {
        std::set<std::string> keep;
        std::set_intersection(common.begin(), common.end(), s.begin(), s.end(),
                              std::inserter(keep, keep.end()));
        common = std::move(keep);
      }
      param_sets = {common};
    }
    for (const auto& g : DecomposeGroups(param_sets)) groups.emplace_back(g.begin(), g.end());
  }
  for (const auto& names : groups) {
    Rng rng = MakeRng(options_.seed, trial_number, "tpe:" + names.front());
    SampleGroup(names, relative_space, ranking.ranked, n_below, fixed, rng, &sample.params);
  }
  return sample;
}

void TpeSampler::SampleGroup(const std::vector<std::string>& names, const SearchSpace& space,
                             const std::vector<const FrozenTrial*>& ranked, size_t n_below,
                             const InternalParams& fixed, Rng& rng, InternalParams* out) const {
  std::vector<TpeDimension> dims;
  for (const auto& name : names) dims.push_back(TpeDimension::Of(space.at(name)));
  // Observations of each side, oldest first (the weights ramp by age).
  std::vector<std::pair<int, std::vector<double>>> below, above;
  for (size_t r = 0; r < ranked.size(); ++r) {
    const FrozenTrial& t = *ranked[r];
    if (!HasGroup(t, names, space)) continue;
    std::vector<double> point;
    for (size_t d = 0; d < names.size(); ++d) point.push_back(dims[d].Transform(t.params.at(names[d]).internal));
    (r < n_below ? below : above).emplace_back(t.number, std::move(point));
  }
  auto fit = [&](std::vector<std::pair<int, std::vector<double>>>& side) {
    std::sort(side.begin(), side.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::vector<double>> observations;
    for (auto& [number, point] : side) observations.push_back(std::move(point));
    return ParzenEstimator(dims, observations, options_.ObservationWeights(observations.size()),
                           options_.parzen);
  };
  ParzenEstimator good = fit(below), bad = fit(above);

  auto candidates = good.Sample(rng, options_.n_ei_candidates);
  for (size_t d = 0; d < names.size(); ++d) {
    auto f = fixed.find(names[d]);
    if (f == fixed.end()) continue;
    for (auto& c : candidates) c[d] = dims[d].Transform(f->second);
  }
  auto log_l = good.LogPdf(candidates), log_g = bad.LogPdf(candidates);
  size_t best = 0;
  for (size_t i = 1; i < candidates.size(); ++i)
    if (log_l[i] - log_g[i] > log_l[best] - log_g[best]) best = i;
  for (size_t d = 0; d < names.size(); ++d)
    (*out)[names[d]] = dims[d].Untransform(candidates[best][d]);
}

Result<double> TpeSampler::SampleIndependent(const StudySnapshot&, int trial_number,
                                             const std::string& name,
                                             const Distribution& distribution) const {
  Rng rng = MakeRng(options_.seed, trial_number, name);
  return SampleUniform(distribution, rng);
}

}  // namespace knob
