#include "search/hypervolume.h"

#include <algorithm>
#include <cmath>

namespace knob {
namespace {

constexpr double kEps = 1e-12;

bool WeaklyDominates(const std::vector<double>& a, const std::vector<double>& b) {
  for (size_t d = 0; d < a.size(); ++d)
    if (a[d] > b[d]) return false;
  return true;
}

// The points no other point weakly dominates (one of equal points kept).
std::vector<std::vector<double>> NonDominated(std::vector<std::vector<double>> points) {
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::vector<std::vector<double>> kept;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j)
      dominated = j != i && WeaklyDominates(points[j], points[i]);
    if (!dominated) kept.push_back(points[i]);
  }
  return kept;
}

double BoxVolume(const std::vector<double>& p, const std::vector<double>& reference) {
  double v = 1;
  for (size_t d = 0; d < p.size(); ++d) v *= std::max(0.0, reference[d] - p[d]);
  return v;
}

double Volume2d(std::vector<std::vector<double>> points, const std::vector<double>& reference) {
  std::sort(points.begin(), points.end());
  double volume = 0, ceiling = reference[1];
  for (const auto& p : points) {
    if (p[1] >= ceiling) continue;
    volume += (reference[0] - p[0]) * (ceiling - p[1]);
    ceiling = p[1];
  }
  return volume;
}

// WFG: the sum over points (sorted by the first objective) of each one's
// exclusive volume against the points after it.
double VolumeOf(const std::vector<std::vector<double>>& points, const std::vector<double>& reference) {
  if (points.empty()) return 0;
  if (points.size() == 1) return BoxVolume(points[0], reference);
  if (reference.size() == 2) return Volume2d(points, reference);
  std::vector<std::vector<double>> sorted = points;
  std::sort(sorted.begin(), sorted.end());
  double volume = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    // The rest, limited to this point's box.
    std::vector<std::vector<double>> limited;
    for (size_t j = i + 1; j < sorted.size(); ++j) {
      std::vector<double> q(reference.size());
      for (size_t d = 0; d < q.size(); ++d) q[d] = std::max(sorted[i][d], sorted[j][d]);
      limited.push_back(std::move(q));
    }
    volume += BoxVolume(sorted[i], reference) - VolumeOf(NonDominated(std::move(limited)), reference);
  }
  return volume;
}

}  // namespace

double Hypervolume(std::vector<std::vector<double>> points, const std::vector<double>& reference) {
  // Only what lies inside the reference's box counts.
  std::vector<std::vector<double>> inside;
  for (auto& p : points) {
    bool in = p.size() == reference.size();
    for (size_t d = 0; in && d < p.size(); ++d) in = p[d] < reference[d];
    if (in) inside.push_back(std::move(p));
  }
  return VolumeOf(NonDominated(std::move(inside)), reference);
}

std::vector<double> ReferencePointOf(const std::vector<std::vector<double>>& points) {
  if (points.empty()) return {};
  std::vector<double> worst = points.front();
  for (const auto& p : points)
    for (size_t d = 0; d < worst.size(); ++d) worst[d] = std::max(worst[d], p[d]);
  for (double& w : worst) {
    w = std::max(1.1 * w, 0.9 * w);
    if (w == 0) w = kEps;
  }
  return worst;
}

std::vector<size_t> GreedyHypervolumeSubset(const std::vector<std::vector<double>>& points, size_t k,
                                            const std::vector<double>& reference) {
  std::vector<size_t> chosen;
  std::vector<std::vector<double>> selected;
  std::vector<bool> taken(points.size(), false);
  double selected_volume = 0;
  while (chosen.size() < std::min(k, points.size())) {
    // The first point left unless one gains more (a NaN gain, from infinite values, never does).
    size_t best = std::find(taken.begin(), taken.end(), false) - taken.begin();
    double best_gain = -INFINITY;
    for (size_t i = best; i < points.size(); ++i) {
      if (taken[i]) continue;
      selected.push_back(points[i]);
      double gain = Hypervolume(selected, reference) - selected_volume;
      selected.pop_back();
      if (gain > best_gain) {
        best_gain = gain;
        best = i;
      }
    }
    taken[best] = true;
    chosen.push_back(best);
    selected.push_back(points[best]);
    selected_volume = Hypervolume(selected, reference);
  }
  return chosen;
}

std::vector<double> HypervolumeContributions(const std::vector<std::vector<double>>& points,
                                             const std::vector<double>& reference) {
  double whole = Hypervolume(points, reference);
  std::vector<double> contributions;
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<std::vector<double>> without;
    for (size_t j = 0; j < points.size(); ++j)
      if (j != i) without.push_back(points[j]);
    contributions.push_back(whole - Hypervolume(without, reference));
  }
  return contributions;
}

}  // namespace knob
