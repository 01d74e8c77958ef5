#include "search/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace knob {

std::optional<std::vector<double>> ConstraintsOf(const FrozenTrial& trial) {
  auto number = [](const nlohmann::json& v) -> std::optional<double> {
    if (v.is_number()) return v.get<double>();
    if (v.is_null()) return NAN;
    return std::nullopt;
  };
  std::vector<double> values;
  bool any = false;
  if (auto it = trial.system_attrs.find(kConstraintsAttr); it != trial.system_attrs.end() && it->is_array()) {
    std::vector<double> listed;
    for (const auto& v : *it) {
      auto n = number(v);
      if (!n) break;
      listed.push_back(*n);
    }
    if (listed.size() == it->size()) {
      values = std::move(listed);
      any = true;
    }
  }
  // Optuna 5's trial.set_constraint(key, v): one attribute per key, in key order here.
  const std::string prefix = std::string(kConstraintsAttr) + ":";
  for (const auto& [key, value] : trial.system_attrs.items()) {
    if (key.rfind(prefix, 0) != 0) continue;
    if (auto n = number(value)) {
      values.push_back(*n);
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return values;
}

bool IsFeasible(const FrozenTrial& trial) {
  auto constraints = ConstraintsOf(trial);
  if (!constraints) return true;
  for (double c : *constraints)
    if (!(c <= 0)) return false;
  return true;
}

double ConstraintViolation(const FrozenTrial& trial) {
  auto constraints = ConstraintsOf(trial);
  double violation = 0;
  if (constraints)
    for (double c : *constraints) violation += std::isnan(c) ? INFINITY : std::max(0.0, c);
  return violation;
}

bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<StudyDirection>& directions) {
  if (a.size() != b.size() || a.size() != directions.size()) return false;
  bool better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    double x = directions[i] == StudyDirection::kMinimize ? a[i] : -a[i];
    double y = directions[i] == StudyDirection::kMinimize ? b[i] : -b[i];
    if (x > y) return false;
    better = better || x < y;
  }
  return better;
}

std::vector<const FrozenTrial*> ParetoFront(const StudySnapshot& study) {
  std::vector<StudyDirection> directions = study.AllDirections();
  std::vector<const FrozenTrial*> candidates, front;
  for (const auto& t : study.trials)
    if (t.state == TrialState::kComplete && t.values.size() == directions.size() && IsFeasible(t))
      candidates.push_back(&t);
  for (const FrozenTrial* t : candidates) {
    bool dominated = false;
    for (const FrozenTrial* other : candidates)
      if (other != t && Dominates(other->values, t->values, directions)) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(t);
  }
  return front;
}

std::vector<std::vector<size_t>> FrontsBy(size_t n, const std::function<bool(size_t, size_t)>& dominates) {
  std::vector<std::vector<size_t>> beaten(n);  // beaten[i]: the points i dominates
  std::vector<int> dominated_by(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (dominates(i, j)) {
        beaten[i].push_back(j);
        ++dominated_by[j];
      } else if (dominates(j, i)) {
        beaten[j].push_back(i);
        ++dominated_by[i];
      }
    }
  std::vector<std::vector<size_t>> fronts;
  std::vector<size_t> current;
  for (size_t i = 0; i < n; ++i)
    if (dominated_by[i] == 0) current.push_back(i);
  while (!current.empty()) {
    std::vector<size_t> next;
    for (size_t i : current)
      for (size_t j : beaten[i])
        if (--dominated_by[j] == 0) next.push_back(j);
    fronts.push_back(std::move(current));
    current = std::move(next);
  }
  return fronts;
}

std::vector<std::vector<size_t>> NonDominatedFronts(const std::vector<std::vector<double>>& points,
                                                    const std::vector<StudyDirection>& directions) {
  return FrontsBy(points.size(), [&](size_t a, size_t b) { return Dominates(points[a], points[b], directions); });
}

std::vector<double> CrowdingDistances(const std::vector<const FrozenTrial*>& front) {
  size_t n = front.size(), m = front.empty() ? 0 : front[0]->values.size();
  std::vector<double> distance(n, 0);
  if (n <= 2) return std::vector<double>(n, std::numeric_limits<double>::infinity());
  std::vector<size_t> order(n);
  for (size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return front[a]->values[k] < front[b]->values[k]; });
    double low = front[order.front()]->values[k], high = front[order.back()]->values[k];
    distance[order.front()] = distance[order.back()] = std::numeric_limits<double>::infinity();
    double span = high - low;
    if (!(span > 0) || !std::isfinite(span)) continue;
    for (size_t i = 1; i + 1 < n; ++i)
      distance[order[i]] += (front[order[i + 1]]->values[k] - front[order[i - 1]]->values[k]) / span;
  }
  return distance;
}

}  // namespace knob
