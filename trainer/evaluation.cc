#include "trainer/evaluation.h"

#include "trainer/autocast_guard.h"
#include "trainer/classification_metrics.h"

namespace knob {

EvalMetrics Evaluate(torch::nn::Sequential& model, const SplitTensors& data, int64_t batch, int num_classes,
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
  EvalMetrics m;
  if (n == 0) return m;
  torch::Tensor predicted = torch::cat(predictions).cpu().contiguous();
  torch::Tensor labels = data.y.cpu().contiguous();
  std::vector<int64_t> p(predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + n);
  std::vector<int64_t> l(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + n);
  ClassificationScores scores = ScoreClassification(p, l, num_classes);
  m.loss = loss_sum.item<double>() / static_cast<double>(n);
  m.accuracy = scores.accuracy;
  m.f1 = scores.macro_f1;
  return m;
}

}  // namespace knob
