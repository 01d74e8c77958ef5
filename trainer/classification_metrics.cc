#include "trainer/classification_metrics.h"

#include <cstddef>

namespace knob {

ClassificationScores ScoreClassification(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels,
                                         int num_classes) {
  std::vector<int64_t> true_pos(num_classes), predicted_count(num_classes), label_count(num_classes);
  int64_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    ++predicted_count[predicted[i]];
    ++label_count[labels[i]];
    if (predicted[i] == labels[i]) ++true_pos[labels[i]], ++correct;
  }
  ClassificationScores s;
  if (labels.empty()) return s;
  s.accuracy = static_cast<double>(correct) / static_cast<double>(labels.size());
  int present = 0;
  double f1_sum = 0;
  for (int c = 0; c < num_classes; ++c) {
    if (predicted_count[c] + label_count[c] == 0) continue;
    ++present;
    // F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (predicted + actual).
    f1_sum += 2.0 * static_cast<double>(true_pos[c]) / static_cast<double>(predicted_count[c] + label_count[c]);
  }
  s.macro_f1 = present ? f1_sum / present : 0;
  return s;
}

}  // namespace knob
