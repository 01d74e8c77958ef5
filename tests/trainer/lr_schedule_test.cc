// Learning-rate schedules: Hugging Face's formulas, checked at points whose values
// follow from the definitions, and the shapes between them.
#include <doctest/doctest.h>

#include <cmath>

#include "trainer/lr_schedule.h"

namespace knob {

TEST_CASE("lr schedules: warmup, then each shape, as Hugging Face defines them") {
  LrSchedule linear{LrScheduleType::kLinear, 10, 110};
  CHECK(linear.Multiplier(0) == 0.0);  // with warmup, the first update uses LR 0
  CHECK(linear.Multiplier(5) == 0.5);
  CHECK(linear.Multiplier(10) == 1.0);
  CHECK(linear.Multiplier(60) == 0.5);
  CHECK(linear.Multiplier(110) == 0.0);
  CHECK(linear.Multiplier(200) == 0.0);

  LrSchedule cosine{LrScheduleType::kCosine, 0, 100};
  CHECK(cosine.Multiplier(0) == 1.0);
  CHECK(cosine.Multiplier(50) == doctest::Approx(0.5));
  CHECK(cosine.Multiplier(100) == doctest::Approx(0.0));
  for (int s = 1; s < 100; ++s) CHECK(cosine.Multiplier(s) < cosine.Multiplier(s - 1));

  LrSchedule restarts{LrScheduleType::kCosineWithRestarts, 0, 100, 2};
  CHECK(restarts.Multiplier(0) == 1.0);
  CHECK(restarts.Multiplier(25) == doctest::Approx(0.5));
  CHECK(restarts.Multiplier(50) == 1.0);  // hard restart half-way with two cycles
  CHECK(restarts.Multiplier(100) == 0.0);

  LrSchedule poly{LrScheduleType::kPolynomial, 0, 100, -1, 2.0, 0.0};
  CHECK(poly.Multiplier(50) == doctest::Approx(0.25));
  LrSchedule poly_end{LrScheduleType::kPolynomial, 0, 100};
  CHECK(poly_end.Multiplier(150) == 1e-7);

  LrSchedule constant{LrScheduleType::kConstant, 10, 100};
  CHECK(constant.Multiplier(0) == 1.0);  // constant ignores warmup
  LrSchedule warm_constant{LrScheduleType::kConstantWithWarmup, 4, 100};
  CHECK(warm_constant.Multiplier(1) == 0.25);
  CHECK(warm_constant.Multiplier(99) == 1.0);
}

TEST_CASE("lr schedules: names and warmup steps from a ratio") {
  CHECK(*ParseLrScheduleType("cosine_with_restarts") == LrScheduleType::kCosineWithRestarts);
  CHECK(ParseLrScheduleType("exponential").error().message ==
        "lr_scheduler_type: unknown schedule 'exponential'; choose linear, cosine, cosine_with_restarts, "
        "polynomial, constant or constant_with_warmup");
  CHECK(WarmupSteps(0, 0.1, 1001) == 101);  // ceil, as HF rounds
  CHECK(WarmupSteps(7, 0.1, 1001) == 7);    // explicit steps win
  CHECK(WarmupSteps(0, 0.0, 1000) == 0);
}

}  // namespace knob
