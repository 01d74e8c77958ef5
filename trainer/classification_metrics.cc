#include "trainer/classification_metrics.h"

#include <cstddef>
#include <numeric>

namespace knob {

void ClassCounts::Add(const std::vector<int64_t>& predicted_classes, const std::vector<int64_t>& labels) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    ++predicted[predicted_classes[i]];
    ++actual[labels[i]];
    if (predicted_classes[i] == labels[i]) ++true_pos[labels[i]];
  }
}

int64_t ClassCounts::total() const { return std::accumulate(actual.begin(), actual.end(), int64_t{0}); }

ClassificationScores ScoreCounts(const ClassCounts& counts) {
  ClassificationScores s;
  const int64_t total = counts.total();
  if (total == 0) return s;
  const int64_t correct = std::accumulate(counts.true_pos.begin(), counts.true_pos.end(), int64_t{0});
  s.accuracy = static_cast<double>(correct) / static_cast<double>(total);
  int present = 0;
  double f1_sum = 0;
  for (std::size_t c = 0; c < counts.actual.size(); ++c) {
    const int64_t both = counts.predicted[c] + counts.actual[c];
    if (both == 0) continue;
    ++present;
    // F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (predicted + actual).
    f1_sum += 2.0 * static_cast<double>(counts.true_pos[c]) / static_cast<double>(both);
  }
  s.macro_f1 = present ? f1_sum / present : 0;
  return s;
}

ClassificationScores ScoreClassification(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels,
                                         int num_classes) {
  ClassCounts counts(num_classes);
  counts.Add(predicted, labels);
  return ScoreCounts(counts);
}

}  // namespace knob
