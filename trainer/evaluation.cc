#include "trainer/evaluation.h"

#include "trainer/autocast_guard.h"

namespace knob {

torch::Tensor EvalTotals::Pack() const {
  const auto classes = static_cast<int64_t>(counts.actual.size());
  torch::Tensor packed = torch::empty({1 + 3 * classes}, torch::kFloat64);
  double* p = packed.data_ptr<double>();
  p[0] = loss_sum;
  for (int64_t c = 0; c < classes; ++c) {
    p[1 + c] = static_cast<double>(counts.true_pos[c]);
    p[1 + classes + c] = static_cast<double>(counts.predicted[c]);
    p[1 + 2 * classes + c] = static_cast<double>(counts.actual[c]);
  }
  return packed;
}

EvalTotals EvalTotals::Unpack(const torch::Tensor& packed, int num_classes) {
  torch::Tensor host = packed.cpu().contiguous();
  const double* p = host.data_ptr<double>();
  EvalTotals t;
  t.loss_sum = p[0];
  t.counts = ClassCounts(num_classes);
  for (int c = 0; c < num_classes; ++c) {
    t.counts.true_pos[c] = static_cast<int64_t>(p[1 + c]);
    t.counts.predicted[c] = static_cast<int64_t>(p[1 + num_classes + c]);
    t.counts.actual[c] = static_cast<int64_t>(p[1 + 2 * num_classes + c]);
  }
  return t;
}

EvalTotals EvaluateTotals(torch::nn::Sequential& model, const SplitTensors& data, int64_t batch, int num_classes,
                          std::optional<torch::ScalarType> autocast) {
  torch::NoGradGuard no_grad;
  model->eval();
  const int64_t n = data.x.size(0);
  torch::Tensor loss_sum = torch::zeros({}, data.x.options().dtype(torch::kFloat64));
  std::vector<torch::Tensor> predictions;
  for (int64_t start = 0; start < n; start += batch) {
    int64_t end = std::min(n, start + batch);
    torch::Tensor logits;
    {
      AutocastGuard guard(data.x.device().type(), autocast);
      logits = model->forward(data.x.slice(0, start, end));
    }
    logits = logits.to(torch::kFloat32);
    auto labels = data.y.slice(0, start, end);
    loss_sum += torch::nn::functional::cross_entropy(
        logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    predictions.push_back(logits.argmax(1));
  }
  model->train();
  EvalTotals totals;
  totals.counts = ClassCounts(num_classes);
  if (n == 0) return totals;
  torch::Tensor predicted = torch::cat(predictions).cpu().contiguous();
  torch::Tensor labels = data.y.cpu().contiguous();
  std::vector<int64_t> p(predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + n);
  std::vector<int64_t> l(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + n);
  totals.counts.Add(p, l);
  totals.loss_sum = loss_sum.item<double>();
  return totals;
}

EvalMetrics MetricsOf(const EvalTotals& totals) {
  EvalMetrics m;
  const int64_t n = totals.counts.total();
  if (n == 0) return m;
  ClassificationScores scores = ScoreCounts(totals.counts);
  m.loss = totals.loss_sum / static_cast<double>(n);
  m.accuracy = scores.accuracy;
  m.f1 = scores.macro_f1;
  return m;
}

EvalMetrics Evaluate(torch::nn::Sequential& model, const SplitTensors& data, int64_t batch, int num_classes,
                     std::optional<torch::ScalarType> autocast) {
  return MetricsOf(EvaluateTotals(model, data, batch, num_classes, autocast));
}

}  // namespace knob
