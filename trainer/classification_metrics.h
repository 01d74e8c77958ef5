// Accuracy and macro-averaged F1 of predicted classes, as scikit-learn computes
// them (F1 averaged over the classes that occur in the labels or predictions; a
// class with no true or predicted positives scores 0), from per-class counts
// that add up over the shards of a split (data-parallel evaluation sums them
// over the ranks). Used by knob-train's evaluation; Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace knob {

struct ClassificationScores {
  double accuracy = 0, macro_f1 = 0;
};

struct ClassCounts {
  explicit ClassCounts(int num_classes = 0) : true_pos(num_classes), predicted(num_classes), actual(num_classes) {}
  std::vector<int64_t> true_pos, predicted, actual;  // per class
  void Add(const std::vector<int64_t>& predicted_classes, const std::vector<int64_t>& labels);
  int64_t total() const;
};

ClassificationScores ScoreCounts(const ClassCounts& counts);

ClassificationScores ScoreClassification(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels,
                                         int num_classes);

}  // namespace knob
