#include "search/samplers/tpe/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <unordered_map>

#include "search/samplers/tpe/group_decomposition.h"
#include "search/samplers/tpe/parzen_estimator.h"
#include "search/samplers/tpe/trial_ranking.h"
#include "search/samplers/uniform.h"

namespace knob {
namespace {

// Whether a trial of `history` holds `point` (transformed, over `group`'s columns)
// once it is snapped to the parameters' values.
bool HoldsPoint(const TpeHistory& history, const std::vector<size_t>& group, const std::vector<TpeDimension>& dims,
                const std::vector<double>& point) {
  std::vector<double> snapped(group.size());
  for (size_t d = 0; d < group.size(); ++d) snapped[d] = dims[d].Transform(dims[d].Untransform(point[d]));
  for (size_t r = 0; r < history.numbers.size(); ++r) {
    size_t d = 0;
    while (d < group.size() && std::abs(history.at(r, group[d]) - snapped[d]) <= 1e-9 * (1 + std::abs(snapped[d]))) ++d;
    if (d == group.size()) return true;
  }
  return false;
}

int CountFinished(const StudySnapshot& study) {
  int n = 0;
  for (const auto& t : study.trials)
    n += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
  return n;
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
  RankedTrials ranking =
      RankTrials(study, options_.constant_liar, [this, several = study.IsMultiObjective()](int n) {
        return options_.NumberBelow(n, several);
      });
  TpeHistory history;
  history.n_below = ranking.n_below;
  history.below_weights = ranking.below_weights;
  for (const auto& [name, distribution] : relative_space) {
    history.names.push_back(name);
    history.dims.push_back(TpeDimension::Of(distribution));
  }
  // One row per ranked trial; finished trials' rows come from the cache when known.
  size_t columns = history.names.size();
  history.columns.assign(columns, std::vector<double>(ranking.ranked.size(), NAN));
  std::unordered_map<int, TpeHistoryCache::Row> scratch;  // rows of unfinished trials
  std::set<std::vector<bool>> param_sets;
  std::vector<bool> last_present;
  TpeHistoryCache* cache = cache_.get();
  if (cache && !(cache->space == relative_space)) {
    cache->space = relative_space;
    cache->rows.clear();
  }
  for (size_t r = 0; r < ranking.ranked.size(); ++r) {
    const FrozenTrial* t = ranking.ranked[r];
    bool finished = IsFinished(t->state);
    auto cached = finished && cache ? cache->rows.find(t->number) : decltype(cache->rows)::iterator();
    if (!cache || !finished || cached == cache->rows.end()) {
      TpeHistoryCache::Row row{std::vector<double>(columns, NAN), std::vector<bool>(columns, false)};
      // The trial's params merged with the space by name (both sorted): the transformed
      // value where the trial has the parameter with the same distribution.
      auto p = t->params.begin();
      size_t j = 0;
      for (auto space_it = relative_space.begin(); space_it != relative_space.end(); ++space_it, ++j) {
        while (p != t->params.end() && p->first < space_it->first) ++p;
        if (p == t->params.end()) break;
        if (p->first == space_it->first && p->second.distribution == space_it->second) {
          row.values[j] = history.dims[j].Transform(p->second.internal);
          row.present[j] = true;
        }
      }
      if (cache && finished) cached = cache->rows.emplace(t->number, std::move(row)).first;
      else cached = scratch.emplace(r, std::move(row)).first;
    }
    const TpeHistoryCache::Row& row = cached->second;
    for (size_t c = 0; c < columns; ++c) history.columns[c][r] = row.values[c];
    history.numbers.push_back(t->number);
    if (row.present != last_present) {
      param_sets.insert(row.present);
      last_present = row.present;
    }
  }

  // The groups drawn jointly.
  std::vector<std::vector<size_t>> groups;
  if (!options_.multivariate.value_or(!study.IsMultiObjective())) {
    for (size_t j = 0; j < columns; ++j) groups.push_back({j});
  } else {
    std::vector<std::set<std::string>> sets;
    for (const auto& set_present : param_sets) {
      std::set<std::string> names;
      for (size_t j = 0; j < columns; ++j)
        if (set_present[j]) names.insert(history.names[j]);
      sets.push_back(std::move(names));
    }
    if (!options_.group) {
      // One group of the parameters every trial has.
      std::set<std::string> common = sets.empty() ? std::set<std::string>() : sets.front();
      for (const auto& set : sets) {
        std::set<std::string> keep;
        std::set_intersection(common.begin(), common.end(), set.begin(), set.end(),
                              std::inserter(keep, keep.end()));
        common = std::move(keep);
      }
      sets = {common};
    }
    for (const auto& group : DecomposeGroups(sets)) {
      std::vector<size_t> indices;
      for (const auto& name : group)
        indices.push_back(std::lower_bound(history.names.begin(), history.names.end(), name) -
                          history.names.begin());
      groups.push_back(std::move(indices));
    }
  }
  for (const auto& group : groups) {
    Rng rng = MakeRng(options_.seed, trial_number, "tpe:" + history.names[group.front()]);
    SampleGroup(history, group, fixed, rng, &sample.params);
  }
  return sample;
}

void TpeSampler::SampleGroup(const TpeHistory& history, const std::vector<size_t>& group,
                             const InternalParams& fixed, Rng& rng, InternalParams* out) const {
  std::vector<TpeDimension> dims;
  for (size_t j : group) dims.push_back(history.dims[j]);
  // The rows of each side that have the whole group, oldest first (weights ramp by age).
  std::vector<size_t> below, above;
  for (size_t r = 0; r < history.numbers.size(); ++r) {
    bool whole = std::none_of(group.begin(), group.end(),
                              [&](size_t j) { return std::isnan(history.at(r, j)); });
    if (whole) (r < history.n_below ? below : above).push_back(r);
  }
  auto fit = [&](std::vector<size_t>& rows, bool good_side) {
    std::sort(rows.begin(), rows.end(),
              [&](size_t a, size_t b) { return history.numbers[a] < history.numbers[b]; });
    std::vector<std::vector<double>> columns(group.size(), std::vector<double>(rows.size()));
    for (size_t d = 0; d < group.size(); ++d)
      for (size_t i = 0; i < rows.size(); ++i) columns[d][i] = history.at(rows[i], group[d]);
    std::vector<double> weights = options_.ObservationWeights(rows.size());
    if (good_side && !history.below_weights.empty())
      for (size_t i = 0; i < rows.size(); ++i) weights[i] = history.below_weights[rows[i]];
    return ParzenEstimator(dims, columns, weights, options_.parzen);
  };
  ParzenEstimator good = fit(below, true), bad = fit(above, false);

  auto candidates = good.Sample(rng, options_.n_ei_candidates, options_.n_mixed_candidates);
  for (size_t d = 0; d < group.size(); ++d) {
    auto f = fixed.find(history.names[group[d]]);
    if (f == fixed.end()) continue;
    for (auto& c : candidates) c[d] = dims[d].Transform(f->second);
  }
  auto log_l = good.LogPdf(candidates), log_g = bad.LogPdf(candidates);
  // The candidate of the highest l/g; where the group is the whole space and
  // repeats are avoided, the highest that no trial holds (while any is new).
  std::vector<double> score(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i)
    score[i] = std::isnan(log_l[i] - log_g[i]) ? -INFINITY : log_l[i] - log_g[i];  // -inf - -inf: last
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  size_t best = order.front();
  if (options_.avoid_repeats && group.size() == history.names.size()) {
    auto it = std::find_if(order.begin(), order.end(),
                           [&](size_t i) { return !HoldsPoint(history, group, dims, candidates[i]); });
    if (it != order.end()) best = *it;
  }
  for (size_t d = 0; d < group.size(); ++d)
    (*out)[history.names[group[d]]] = dims[d].Untransform(candidates[best][d]);
}

Result<double> TpeSampler::SampleIndependent(const StudySnapshot&, int trial_number,
                                             const std::string& name,
                                             const Distribution& distribution) const {
  Rng rng = MakeRng(options_.seed, trial_number, name);
  return SampleUniform(distribution, rng);
}

}  // namespace knob
