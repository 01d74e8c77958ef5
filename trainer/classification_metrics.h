// Accuracy and macro-averaged F1 of predicted classes, as scikit-learn computes
// them (F1 averaged over the classes that occur in the labels or predictions; a
// class with no true or predicted positives scores 0). Used by knob-train's
// evaluation; Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace knob {

struct ClassificationScores {
  double accuracy = 0, macro_f1 = 0;
};

ClassificationScores ScoreClassification(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels,
                                         int num_classes);

}  // namespace knob
