#include "trainer/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace knob {

Result<LrScheduleType> ParseLrScheduleType(const std::string& name) {
  if (name == "linear") return LrScheduleType::kLinear;
  if (name == "cosine") return LrScheduleType::kCosine;
  if (name == "cosine_with_restarts") return LrScheduleType::kCosineWithRestarts;
  if (name == "polynomial") return LrScheduleType::kPolynomial;
  if (name == "constant") return LrScheduleType::kConstant;
  if (name == "constant_with_warmup") return LrScheduleType::kConstantWithWarmup;
  return Error::BadInput("lr_scheduler_type: unknown schedule '" + name +
                         "'; choose linear, cosine, cosine_with_restarts, polynomial, constant or "
                         "constant_with_warmup");
}

int64_t WarmupSteps(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

double LrSchedule::Multiplier(int64_t step) const {
  const double s = static_cast<double>(step);
  const double w = static_cast<double>(warmup_steps);
  const double t = static_cast<double>(total_steps);
  if (type == LrScheduleType::kConstant) return 1.0;
  if (step < warmup_steps) return s / std::max(1.0, w);
  const double progress = (s - w) / std::max(1.0, t - w);
  switch (type) {
    case LrScheduleType::kConstantWithWarmup:
      return 1.0;
    case LrScheduleType::kLinear:
      return std::max(0.0, (t - s) / std::max(1.0, t - w));
    case LrScheduleType::kCosine: {
      double cycles = num_cycles < 0 ? 0.5 : num_cycles;
      return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * cycles * 2.0 * progress)));
    }
    case LrScheduleType::kCosineWithRestarts: {
      double cycles = num_cycles < 0 ? 1.0 : num_cycles;
      if (progress >= 1.0) return 0.0;
      return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * std::fmod(cycles * progress, 1.0))));
    }
    case LrScheduleType::kPolynomial: {
      if (step > total_steps) return lr_end_ratio;
      double remaining = 1.0 - (s - w) / std::max(1.0, t - w);
      return (1.0 - lr_end_ratio) * std::pow(remaining, power) + lr_end_ratio;
    }
    case LrScheduleType::kConstant:
      break;
  }
  return 1.0;
}

}  // namespace knob
