#include "trainer/augment.h"

#include <algorithm>
#include <random>
#include <vector>

namespace knob {

void AugmentBatch(float* images, int64_t count, ImageShape shape, const AugmentSpec& spec, uint64_t seed,
                  int64_t batch) {
  if (!spec.any()) return;
  std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ull + static_cast<uint64_t>(batch));
  const int64_t plane = shape.height * shape.width;
  std::vector<float> source(plane);
  for (int64_t i = 0; i < count; ++i) {
    bool flip = spec.horizontal_flip && (rng() & 1);
    int64_t span = 2 * spec.max_shift + 1;
    int64_t dy = spec.max_shift ? static_cast<int64_t>(rng() % span) - spec.max_shift : 0;
    int64_t dx = spec.max_shift ? static_cast<int64_t>(rng() % span) - spec.max_shift : 0;
    if (!flip && dy == 0 && dx == 0) continue;
    for (int64_t c = 0; c < shape.channels; ++c) {
      float* image = images + (i * shape.channels + c) * plane;
      std::copy_n(image, plane, source.begin());
      for (int64_t y = 0; y < shape.height; ++y) {
        int64_t sy = std::clamp<int64_t>(y - dy, 0, shape.height - 1);
        for (int64_t x = 0; x < shape.width; ++x) {
          int64_t sx = std::clamp<int64_t>(x - dx, 0, shape.width - 1);
          if (flip) sx = shape.width - 1 - sx;
          image[y * shape.width + x] = source[sy * shape.width + sx];
        }
      }
    }
  }
}

}  // namespace knob
