#include "search/importance/random_forest.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace knob {
namespace {

struct Split {
  int feature = -1;
  double threshold = 0;
};

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<std::vector<double>>& rows, const std::vector<double>& targets,
              const std::vector<std::pair<double, double>>& bounds, int max_depth)
      : rows_(rows), targets_(targets), bounds_(bounds), max_depth_(max_depth) {}

  RegressionTree Build(std::vector<size_t> samples) {
    RegressionTree tree;
    tree.thresholds.resize(bounds_.size());
    ForestLeaf root;
    for (const auto& [low, high] : bounds_) {
      root.low.push_back(low);
      root.high.push_back(high);
    }
    Grow(samples, 0, root, tree);
    for (auto& t : tree.thresholds) {
      std::sort(t.begin(), t.end());
      t.erase(std::unique(t.begin(), t.end()), t.end());
    }
    return tree;
  }

 private:
  double Mean(const std::vector<size_t>& samples) const {
    double sum = 0;
    for (size_t i : samples) sum += targets_[i];
    return sum / static_cast<double>(samples.size());
  }

  // The split that most lowers the summed squared error, if any lowers it.
  Split BestSplit(std::vector<size_t>& samples) const {
    double n = static_cast<double>(samples.size());
    double total = 0, total_sq = 0;
    for (size_t i : samples) {
      total += targets_[i];
      total_sq += targets_[i] * targets_[i];
    }
    double parent_error = total_sq - total * total / n;
    Split best;
    double best_error = parent_error * (1 - 1e-12) - 1e-300;
    for (size_t f = 0; f < bounds_.size(); ++f) {
      std::sort(samples.begin(), samples.end(), [&](size_t a, size_t b) { return rows_[a][f] < rows_[b][f]; });
      double left = 0, left_sq = 0;
      for (size_t k = 0; k + 1 < samples.size(); ++k) {
        double y = targets_[samples[k]];
        left += y;
        left_sq += y * y;
        double here = rows_[samples[k]][f], next = rows_[samples[k + 1]][f];
        if (!(here < next)) continue;
        double nl = static_cast<double>(k + 1), nr = n - nl;
        double right = total - left, right_sq = total_sq - left_sq;
        double error = (left_sq - left * left / nl) + (right_sq - right * right / nr);
        if (error < best_error) {
          best_error = error;
          best = {static_cast<int>(f), here + (next - here) / 2};
        }
      }
    }
    return best;
  }

  void Grow(std::vector<size_t>& samples, int depth, ForestLeaf box, RegressionTree& tree) {
    Split split;
    if (samples.size() >= 2 && depth < max_depth_) split = BestSplit(samples);
    if (split.feature < 0) {
      box.value = Mean(samples);
      tree.leaves.push_back(std::move(box));
      return;
    }
    tree.thresholds[split.feature].push_back(split.threshold);
    std::vector<size_t> left, right;
    for (size_t i : samples) (rows_[i][split.feature] <= split.threshold ? left : right).push_back(i);
    samples = {};
    ForestLeaf left_box = box, right_box = std::move(box);
    left_box.high[split.feature] = split.threshold;
    right_box.low[split.feature] = split.threshold;
    Grow(left, depth + 1, std::move(left_box), tree);
    Grow(right, depth + 1, std::move(right_box), tree);
  }

  const std::vector<std::vector<double>>& rows_;
  const std::vector<double>& targets_;
  const std::vector<std::pair<double, double>>& bounds_;
  int max_depth_;
};

}  // namespace

std::vector<RegressionTree> FitForest(const std::vector<std::vector<double>>& rows,
                                      const std::vector<double>& targets,
                                      const std::vector<std::pair<double, double>>& bounds,
                                      const ForestOptions& options) {
  std::vector<RegressionTree> forest;
  if (rows.empty()) return forest;
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<size_t> pick(0, rows.size() - 1);
  TreeBuilder builder(rows, targets, bounds, options.max_depth);
  for (int t = 0; t < options.trees; ++t) {
    std::vector<size_t> samples(rows.size());
    for (size_t& s : samples) s = pick(rng);
    forest.push_back(builder.Build(std::move(samples)));
  }
  return forest;
}

}  // namespace knob
