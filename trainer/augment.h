// Image augmentation for knob-train's training batches: a random horizontal flip
// and a random shift of up to `max_shift` pixels (edges replicated), drawn per
// example from (seed, batch), where `batch` numbers the batch in the run, so a
// resumed run augments exactly as an uninterrupted one. Torch-free: works in
// place on row-major float images.
#pragma once

#include <cstdint>

#include "trainer/dataset.h"

namespace knob {

struct ImageShape {
  int64_t channels, height, width;
};

void AugmentBatch(float* images, int64_t count, ImageShape shape, const AugmentSpec& spec, uint64_t seed,
                  int64_t batch);

}  // namespace knob
