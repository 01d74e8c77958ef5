// The learning-rate schedules of Hugging Face's `get_scheduler`, as pure
// functions of the optimizer step: LR(step) = learning_rate x Multiplier(step),
// where update k (0-based) uses Multiplier(k). Because the rate depends on the
// step alone, a resumed run continues on exactly the same curve. Used by
// knob-train (issue 5); Torch-free.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace knob {

enum class LrScheduleType { kLinear, kCosine, kCosineWithRestarts, kPolynomial, kConstant, kConstantWithWarmup };

// HF's names: linear, cosine, cosine_with_restarts, polynomial, constant, constant_with_warmup.
Result<LrScheduleType> ParseLrScheduleType(const std::string& name);

struct LrSchedule {
  LrScheduleType type = LrScheduleType::kLinear;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;     // optimizer updates in the whole run
  double num_cycles = -1;      // cosine: 0.5, cosine_with_restarts: 1 (HF's defaults) when < 0
  double power = 1.0;          // polynomial
  double lr_end_ratio = 1e-7;  // polynomial: lr_end / learning_rate (HF: lr_end 1e-7)

  double Multiplier(int64_t step) const;
};

// HF's warmup steps: `warmup_steps` when > 0, else ceil(total_steps x warmup_ratio).
int64_t WarmupSteps(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

}  // namespace knob
