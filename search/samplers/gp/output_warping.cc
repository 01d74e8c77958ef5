#include "search/samplers/gp/output_warping.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "search/samplers/tpe/truncnorm.h"

namespace knob {
namespace {

Eigen::VectorXd Standardised(const Eigen::VectorXd& y) {
  if (y.size() == 0) return y;
  double mean = y.mean();
  double sd = std::sqrt((y.array() - mean).square().mean());
  return (y.array() - mean) / std::max(sd, 1e-10);  // spreads below 1e-10 stay near zero
}

Eigen::VectorXd RankTargets(const Eigen::VectorXd& y) {
  const Eigen::Index n = y.size();
  std::vector<Eigen::Index> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return y[a] < y[b]; });
  Eigen::VectorXd z(n);
  for (Eigen::Index i = 0; i < n;) {
    Eigen::Index j = i;
    while (j + 1 < n && y[order[j + 1]] == y[order[i]]) ++j;
    double mid_rank = (i + j) / 2.0;  // ties share their mean rank
    double q = truncnorm::Ndtri((mid_rank + 0.5) / n);
    for (Eigen::Index k = i; k <= j; ++k) z[order[k]] = q;
    i = j + 1;
  }
  return Standardised(z);
}

double Quantile(const std::vector<double>& sorted, double p) {
  double at = p * (sorted.size() - 1);
  size_t low = static_cast<size_t>(std::floor(at));
  size_t high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (at - low) * (sorted[high] - sorted[low]);
}

Eigen::VectorXd LogTargets(const Eigen::VectorXd& y) {
  std::vector<double> sorted(y.data(), y.data() + y.size());
  std::sort(sorted.begin(), sorted.end());
  double spread = Quantile(sorted, 0.75) - Quantile(sorted, 0.25);
  if (!(spread > 0)) spread = sorted.back() - sorted.front();
  if (!(spread > 0)) return Eigen::VectorXd::Zero(y.size());
  double delta = 0.01 * spread;
  Eigen::VectorXd logged = ((y.array() - sorted.front()) + delta).log();
  return Standardised(logged);
}

// OutlierCap of values already sorted (not empty).
double SortedOutlierCap(const std::vector<double>& sorted, double jump) {
  double best = sorted.front();
  for (size_t i = sorted.size() / 2; i + 1 < sorted.size(); ++i)
    if (sorted[i] > best && sorted[i + 1] - best > jump * (sorted[i] - best)) return sorted[i];
  return sorted.back();
}

}  // namespace

double OutlierCap(const Eigen::VectorXd& values, double jump) {
  std::vector<double> sorted(values.data(), values.data() + values.size());
  std::sort(sorted.begin(), sorted.end());
  return sorted.empty() ? INFINITY : SortedOutlierCap(sorted, jump);
}

double RobustCap(const Eigen::VectorXd& values, double quantile) {
  std::vector<double> finite;
  for (double v : values)
    if (v < INFINITY) finite.push_back(v);
  if (finite.empty()) return INFINITY;
  std::sort(finite.begin(), finite.end());
  double jump = SortedOutlierCap(finite, kOutlierJump);
  bool cliff = jump < finite.back() || finite.size() < static_cast<size_t>(values.size());
  if (!cliff) return finite.back();
  finite.erase(std::upper_bound(finite.begin(), finite.end(), jump), finite.end());  // the values below the jump
  return Quantile(finite, quantile);
}

Eigen::VectorXd WarpedTargets(const Eigen::VectorXd& values, OutputWarping warping) {
  if (values.size() == 0) return values;
  double worst = -INFINITY;  // of the finite values; +inf counts as that
  for (double v : values)
    if (v < INFINITY) worst = std::max(worst, v);
  if (worst == -INFINITY) return Eigen::VectorXd::Zero(values.size());
  switch (warping) {
    case OutputWarping::kRobust:
      return Standardised(values.array().min(RobustCap(values)));
    case OutputWarping::kRank:
      return RankTargets(values.array().min(worst));
    case OutputWarping::kLog:
      return LogTargets(values.array().min(worst));
    case OutputWarping::kStandard:
      break;
  }
  return Standardised(values.array().min(worst));
}

}  // namespace knob
