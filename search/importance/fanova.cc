#include "search/importance/fanova.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "search/importance/random_forest.h"

namespace knob {
namespace {

// The value a trial gives `objective`, when it is COMPLETE with a finite one.
std::optional<double> TargetOf(const FrozenTrial& t, int objective) {
  if (t.state != TrialState::kComplete) return std::nullopt;
  double v = NAN;
  if (objective == 0 && t.value) v = *t.value;
  if (objective > 0 && static_cast<size_t>(objective) < t.values.size()) v = t.values[objective];
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

// The parameters (with one distribution) that every one of `trials` has.
std::map<std::string, Distribution> CommonParams(const std::vector<const FrozenTrial*>& trials) {
  std::map<std::string, Distribution> common;
  for (const auto& [name, p] : trials.front()->params) common.emplace(name, p.distribution);
  for (const FrozenTrial* t : trials)
    for (auto it = common.begin(); it != common.end();) {
      auto p = t->params.find(it->first);
      it = (p == t->params.end() || !(p->second.distribution == it->second)) ? common.erase(it) : std::next(it);
    }
  return common;
}

std::pair<double, double> FeatureBounds(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) return {f->low, f->high};
  if (auto* i = std::get_if<IntDistribution>(&d)) return {static_cast<double>(i->low), static_cast<double>(i->high)};
  return {0.0, static_cast<double>(std::get<CategoricalDistribution>(d).choices.size())};
}

double FeatureValue(const Distribution& d, double internal) {
  // A categorical's choice i takes the unit interval [i, i+1].
  return std::holds_alternative<CategoricalDistribution>(d) ? internal + 0.5 : internal;
}

double Volume(const ForestLeaf& leaf) {
  double v = 1;
  for (size_t f = 0; f < leaf.low.size(); ++f) v *= leaf.high[f] - leaf.low[f];
  return v;
}

// The variance of the tree's prediction over the uniform box.
double TreeVariance(const RegressionTree& tree) {
  double weight = 0, mean = 0;
  for (const auto& leaf : tree.leaves) {
    weight += Volume(leaf);
    mean += Volume(leaf) * leaf.value;
  }
  if (weight <= 0) return 0;
  mean /= weight;
  double variance = 0;
  for (const auto& leaf : tree.leaves) variance += Volume(leaf) * (leaf.value - mean) * (leaf.value - mean);
  return variance / weight;
}

// The variance over feature f of the tree's prediction averaged over every other
// feature: the cells between f's thresholds, each with the volume-weighted mean
// of the leaves it crosses.
double MarginalVariance(const RegressionTree& tree, size_t f, std::pair<double, double> bounds) {
  std::vector<double> edges{bounds.first};
  for (double t : tree.thresholds[f])
    if (t > bounds.first && t < bounds.second) edges.push_back(t);
  edges.push_back(bounds.second);
  std::vector<double> values, sizes;
  for (size_t k = 0; k + 1 < edges.size(); ++k) {
    double middle = (edges[k] + edges[k + 1]) / 2, sum = 0, weight = 0;
    for (const auto& leaf : tree.leaves) {
      if (middle < leaf.low[f] || middle > leaf.high[f]) continue;
      double width = leaf.high[f] - leaf.low[f];
      double w = width > 0 ? Volume(leaf) / width : 0;
      sum += w * leaf.value;
      weight += w;
    }
    if (weight <= 0) continue;
    values.push_back(sum / weight);
    sizes.push_back(edges[k + 1] - edges[k]);
  }
  double total = 0, mean = 0;
  for (size_t k = 0; k < values.size(); ++k) {
    total += sizes[k];
    mean += sizes[k] * values[k];
  }
  if (total <= 0) return 0;
  mean /= total;
  double variance = 0;
  for (size_t k = 0; k < values.size(); ++k) variance += sizes[k] * (values[k] - mean) * (values[k] - mean);
  return std::max(0.0, variance / total);
}

}  // namespace

Result<std::vector<ParamImportance>> ParamImportances(const StudySnapshot& study, const ImportanceOptions& options) {
  std::vector<const FrozenTrial*> trials;
  std::vector<double> targets;
  for (const auto& t : study.trials)
    if (auto v = TargetOf(t, options.objective)) {
      trials.push_back(&t);
      targets.push_back(*v);
    }
  if (trials.size() < 2)
    return Error::BadInput("importance needs at least 2 COMPLETE trials with a value; study " + study.name + " has " +
                           std::to_string(trials.size()));
  if (trials.size() > options.max_trials) {
    // Evenly spaced, so that early and late trials both count.
    std::vector<const FrozenTrial*> subset;
    std::vector<double> subset_targets;
    for (size_t k = 0; k < options.max_trials; ++k) {
      size_t i = k * trials.size() / options.max_trials;
      subset.push_back(trials[i]);
      subset_targets.push_back(targets[i]);
    }
    trials = std::move(subset);
    targets = std::move(subset_targets);
  }
  std::map<std::string, Distribution> params = CommonParams(trials);
  std::vector<ParamImportance> result;
  std::vector<std::string> names;
  std::vector<std::pair<double, double>> bounds;
  for (const auto& [name, d] : params) {
    if (IsSingleValued(d)) {
      result.push_back({name, 0.0});
      continue;
    }
    names.push_back(name);
    bounds.push_back(FeatureBounds(d));
  }
  if (!names.empty()) {
    std::vector<std::vector<double>> rows;
    for (const FrozenTrial* t : trials) {
      auto& row = rows.emplace_back();
      for (const auto& name : names) {
        const TrialParam& p = t->params.at(name);
        row.push_back(FeatureValue(p.distribution, p.internal));
      }
    }
    auto forest = FitForest(rows, targets, bounds, {options.trees, 64, options.seed});
    std::vector<double> shares(names.size(), 0.0);
    int counted = 0;
    for (const auto& tree : forest) {
      double variance = TreeVariance(tree);
      if (!(variance > 0)) continue;
      ++counted;
      for (size_t f = 0; f < names.size(); ++f) shares[f] += MarginalVariance(tree, f, bounds[f]) / variance;
    }
    double sum = 0;
    for (double& s : shares) sum += s;
    if (counted == 0 || !(sum > 0))
      return Error::BadInput("importance: the values of study " + study.name + "'s COMPLETE trials do not vary");
    for (size_t f = 0; f < names.size(); ++f) result.push_back({names[f], shares[f] / sum});
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const ParamImportance& a, const ParamImportance& b) { return a.importance > b.importance; });
  return result;
}

}  // namespace knob
