// What knob-train's hand-written CPU kernels (batch_norm_relu_pool) build on: an
// [N, C, H, W] float tensor seen as planes, loops
// over the planes in memory order split across LibTorch's threads, per-channel sums
// that do not depend on the thread count, and GCC vector types for the kernels.
// Torch code (ATen's parallel_for); include only from such kernels' files.
#pragma once

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstring>
#include <vector>

#include "trainer/vector_clones.h"

namespace knob {

// Sixteen float lanes (one AVX-512 register, two AVX2 ones, four SSE ones).
typedef float Lanes __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;
// Four floats or ints (one SSE register).
typedef float Float4 __attribute__((vector_size(16)));
typedef int32_t Int4 __attribute__((vector_size(16)));

// (Taken by reference: a 64-byte vector passed by value would change the ABI between clones.)
inline void LoadLanes(const float* p, Lanes& v) { std::memcpy(&v, p, sizeof v); }

inline double SumOfLanes(const Lanes& v) {
  double total = 0;
  for (int64_t k = 0; k < kLanes; ++k) total += v[k];
  return total;
}

// An [N, C, H, W] contiguous float tensor seen as N x C planes of H x W.
struct Planes {
  int64_t count, channels, height, width;

  static Planes Of(const torch::Tensor& x) { return {x.size(0), x.size(1), x.size(2), x.size(3)}; }
  int64_t Size() const { return height * width; }
  int64_t Offset(int64_t n, int64_t c) const { return (n * channels + c) * Size(); }
};

// Calls visit(n, c) for every plane in memory order (one long stream for the
// prefetcher), batch items split across threads.
template <typename Visit>
void ForEachPlane(const Planes& planes, const Visit& visit) {
  at::parallel_for(0, planes.count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n)
      for (int64_t c = 0; c < planes.channels; ++c) visit(n, c);
  });
}

// `width` sums per channel: add(n, c, slots) adds plane (n, c)'s share into
// `width` zeroed slots of its own; planes run in parallel, and their slots are then
// added in batch order, so the totals (channel-major, [C, width]) are the same for
// any number of threads.
template <typename Add>
std::vector<double> SumOverBatch(const Planes& planes, int64_t width, const Add& add) {
  const int64_t per_item = planes.channels * width;
  std::vector<double> per_plane(planes.count * per_item), totals(per_item);
  ForEachPlane(planes, [&](int64_t n, int64_t c) { add(n, c, per_plane.data() + n * per_item + c * width); });
  for (int64_t n = 0; n < planes.count; ++n)
    for (int64_t i = 0; i < per_item; ++i) totals[i] += per_plane[n * per_item + i];
  return totals;
}

}  // namespace knob
