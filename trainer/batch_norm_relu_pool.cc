#include "trainer/batch_norm_relu_pool.h"

#include "trainer/plane_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace knob {
namespace {

// Adds the sum and the sum of squares of one plane, both taken about `shift` (a
// value of the channel, so that the variance loses no digits to a large mean).
KNOB_VECTOR_CLONES void AddShiftedSums(const float* x, int64_t size, float shift, double& sum, double& squares) {
  Lanes s = {}, q = {};
  int64_t i = 0;
  Lanes d;
  for (; i + kLanes <= size; i += kLanes) {
    LoadLanes(x + i, d);
    d -= shift;
    s += d, q += d * d;
  }
  sum += SumOfLanes(s), squares += SumOfLanes(q);
  for (; i < size; ++i) {
    const double d = x[i] - shift;
    sum += d, squares += d * d;
  }
}

// relu(a x + b) over one plane. NaN stays NaN, as in LibTorch's relu.
KNOB_VECTOR_CLONES void NormReluPlane(const float* x, int64_t size, float a, float b, float* out) {
  for (int64_t i = 0; i < size; ++i) {
    const float z = a * x[i] + b;
    out[i] = z <= 0 ? 0.f : z;
  }
}

// The 2x2 max pool of relu(a x + b) over one plane, four windows at a time (the
// last four of a row overlap the ones before when the row's count is not a
// multiple of four; rows need at least four windows). For each window, `which`
// gets the position of its maximum (0..3, row-major) and `picked` the input there.
// The comparisons pair the top two, then the bottom two, then the winners, each
// keeping the earlier on a tie: LibTorch's first maximum in row-major order. NaN
// wins, as in LibTorch's max_pool2d.
KNOB_VECTOR_CLONES void NormReluPoolPlane(const float* x, int64_t height, int64_t width, float a, float b,
                                          float* out, uint8_t* which, float* picked) {
  const int64_t out_width = width / 2;
  const Float4 zero = {};
  const Int4 evens = {0, 2, 4, 6}, odds = {1, 3, 5, 7};
  for (int64_t i = 0; i < height / 2; ++i) {
    const float* top = x + 2 * i * width;
    const float* bottom = top + width;
    for (int64_t first = 0; first < out_width; first += 4) {
      const int64_t j = std::min(first, out_width - 4);
      Float4 top_left, top_right, bottom_left, bottom_right;
      std::memcpy(&top_left, top + 2 * j, sizeof(Float4));
      std::memcpy(&top_right, top + 2 * j + 4, sizeof(Float4));
      std::memcpy(&bottom_left, bottom + 2 * j, sizeof(Float4));
      std::memcpy(&bottom_right, bottom + 2 * j + 4, sizeof(Float4));
      const Float4 x0 = __builtin_shuffle(top_left, top_right, evens), x1 = __builtin_shuffle(top_left, top_right, odds);
      const Float4 x2 = __builtin_shuffle(bottom_left, bottom_right, evens),
                   x3 = __builtin_shuffle(bottom_left, bottom_right, odds);
      const Float4 z0 = a * x0 + b, z1 = a * x1 + b, z2 = a * x2 + b, z3 = a * x3 + b;
      const Int4 right_top = (z1 > z0) | (z1 != z1), right_bottom = (z3 > z2) | (z3 != z3);
      const Float4 top_max = right_top ? z1 : z0, bottom_max = right_bottom ? z3 : z2;
      const Int4 lower = (bottom_max > top_max) | ((bottom_max != bottom_max) & (top_max == top_max));
      const Float4 best = lower ? bottom_max : top_max;
      const Float4 relu = best <= zero ? zero : best;
      const Float4 input = lower ? (right_bottom ? x3 : x2) : (right_top ? x1 : x0);
      const Int4 position = (lower & 2) | (lower ? right_bottom & 1 : right_top & 1);
      const int64_t o = i * out_width + j;
      std::memcpy(out + o, &relu, sizeof relu);
      std::memcpy(picked + o, &input, sizeof input);
      for (int k = 0; k < 4; ++k) which[o + k] = static_cast<uint8_t>(position[k]);
    }
  }
}

// Backward, first pass, one plane: the gradient that passes the ReLU (where the
// output is positive) is dz; adds dz and dz (x - mean) to the channel's sums. For
// the pooled form, `out`, `grad` and `x` are the pooled outputs, their gradients
// and the picked inputs.
KNOB_VECTOR_CLONES void AddReluGradSums(const float* grad, const float* out, const float* x, int64_t size,
                                        float mean, double& sum, double& dot) {
  Lanes s = {}, d = {};
  const Lanes zero = {};
  int64_t i = 0;
  Lanes o, g, v;
  for (; i + kLanes <= size; i += kLanes) {
    LoadLanes(out + i, o), LoadLanes(grad + i, g), LoadLanes(x + i, v);
    const Lanes dz = o > zero ? g : zero;
    s += dz, d += dz * (v - mean);
  }
  sum += SumOfLanes(s), dot += SumOfLanes(d);
  for (; i < size; ++i) {
    const float dz = out[i] > 0 ? grad[i] : 0.f;
    sum += dz, dot += static_cast<double>(dz) * (x[i] - mean);
  }
}

// Backward, second pass, one plane without the pool: dx = a (dz - mean(dz)) -
// a k (x - mean), the batch norm's input gradient, with k = mean(dz (x - mean)) / var.
KNOB_VECTOR_CLONES void NormReluGradPlane(const float* grad, const float* out, const float* x, int64_t size, float a,
                                          float mean, float mean_dz, float k, float* dx) {
  for (int64_t i = 0; i < size; ++i) {
    const float dz = out[i] > 0 ? grad[i] : 0.f;
    dx[i] = a * (dz - mean_dz) - a * k * (x[i] - mean);
  }
}

// The same with the pool, where dz is zero but at each window's maximum; four
// windows at a time as in the forward pass, each writing its four inputs' dx (so
// that the overlapping last four write the same values again). Inputs outside
// every window (an odd last row or column) get the plain formula first.
KNOB_VECTOR_CLONES void NormReluPoolGradPlane(const float* grad, const float* out, const uint8_t* which,
                                              const float* x, int64_t height, int64_t width, float a, float mean,
                                              float mean_dz, float k, float* dx) {
  const float base = -a * mean_dz, slope = a * k;
  if (height % 2 || width % 2)
    for (int64_t i = 0; i < height * width; ++i) dx[i] = base - slope * (x[i] - mean);
  const int64_t out_width = width / 2;
  const Float4 zero = {};
  for (int64_t i = 0; i < height / 2; ++i) {
    const float* rows[2] = {x + 2 * i * width, x + (2 * i + 1) * width};
    float* dx_rows[2] = {dx + 2 * i * width, dx + (2 * i + 1) * width};
    for (int64_t first = 0; first < out_width; first += 4) {
      const int64_t j = std::min(first, out_width - 4), o = i * out_width + j;
      Float4 g, pooled;
      std::memcpy(&g, grad + o, sizeof g);
      std::memcpy(&pooled, out + o, sizeof pooled);
      const Float4 scaled = pooled > zero ? a * g : zero;
      const Int4 position = {which[o], which[o + 1], which[o + 2], which[o + 3]};
      const Float4 at[4] = {position == 0 ? scaled : zero, position == 1 ? scaled : zero,
                            position == 2 ? scaled : zero, position == 3 ? scaled : zero};
      for (int r = 0; r < 2; ++r) {
        // Row r's eight inputs: windows' left and right ones interleaved.
        const Float4 left = __builtin_shuffle(at[2 * r], at[2 * r + 1], Int4{0, 4, 1, 5});
        const Float4 right = __builtin_shuffle(at[2 * r], at[2 * r + 1], Int4{2, 6, 3, 7});
        Float4 x_left, x_right;
        std::memcpy(&x_left, rows[r] + 2 * j, sizeof x_left);
        std::memcpy(&x_right, rows[r] + 2 * j + 4, sizeof x_right);
        const Float4 d_left = base - slope * (x_left - mean) + left, d_right = base - slope * (x_right - mean) + right;
        std::memcpy(dx_rows[r] + 2 * j, &d_left, sizeof d_left);
        std::memcpy(dx_rows[r] + 2 * j + 4, &d_right, sizeof d_right);
      }
    }
  }
}

torch::Tensor OutputFor(const torch::Tensor& x, bool max_pool) {
  return max_pool ? torch::empty({x.size(0), x.size(1), x.size(2) / 2, x.size(3) / 2}, x.options())
                  : torch::empty_like(x);
}

// What the pooled backward pass needs of the forward one, per output.
struct PoolChoice {
  torch::Tensor which;   // uint8: the window position of the maximum
  torch::Tensor picked;  // the input there

  static PoolChoice For(const torch::Tensor& out) {
    return {torch::empty(out.sizes(), out.options().dtype(torch::kUInt8)), torch::empty_like(out)};
  }
};

// out = relu(a x + b), pooled when `pool` is given (and then filled) for every channel.
void NormReluPool(const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& b, torch::Tensor& out,
                  PoolChoice* pool) {
  const Planes in = Planes::Of(x), pooled = Planes::Of(out);
  const float* xp = x.data_ptr<float>();
  const float* ap = a.data_ptr<float>();
  const float* bp = b.data_ptr<float>();
  float* op = out.data_ptr<float>();
  uint8_t* wp = pool ? pool->which.data_ptr<uint8_t>() : nullptr;
  float* pp = pool ? pool->picked.data_ptr<float>() : nullptr;
  ForEachPlane(in, [&](int64_t n, int64_t c) {
    const int64_t i = in.Offset(n, c), o = pooled.Offset(n, c);
    if (pool) NormReluPoolPlane(xp + i, in.height, in.width, ap[c], bp[c], op + o, wp + o, pp + o);
    else NormReluPlane(xp + i, in.Size(), ap[c], bp[c], op + o);
  });
}

// Scale and shift of the normalisation, y = a x + b, from the channel's mean and
// 1 / sqrt(var + eps) (doubles).
std::pair<torch::Tensor, torch::Tensor> ScaleAndShift(const torch::Tensor& weight, const torch::Tensor& bias,
                                                      const torch::Tensor& mean, const torch::Tensor& inverse_std) {
  torch::Tensor a = weight.detach().to(torch::kDouble) * inverse_std;
  torch::Tensor b = bias.detach().to(torch::kDouble) - mean * a;
  return {a.to(torch::kFloat), b.to(torch::kFloat)};
}

// Training mode on the CPU: batch statistics, running statistics updated as
// BatchNorm2d does, and a backward of its own.
struct TrainingPass : torch::autograd::Function<TrainingPass> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                               torch::Tensor bias, torch::Tensor running_mean, torch::Tensor running_var,
                               bool max_pool, double momentum, double epsilon) {
    const Planes in = Planes::Of(x);
    const int64_t count = in.count * in.Size();
    torch::Tensor mean = torch::empty({in.channels}, x.options().dtype(torch::kDouble));
    torch::Tensor inverse_std = torch::empty_like(mean), variance = torch::empty_like(mean);
    const float* xp = x.data_ptr<float>();
    double* mp = mean.data_ptr<double>();
    double* ip = inverse_std.data_ptr<double>();
    double* vp = variance.data_ptr<double>();
    // Per channel: the sum and the sum of squares.
    const std::vector<double> sums = SumOverBatch(in, 2, [&](int64_t n, int64_t c, double* slots) {
      AddShiftedSums(xp + in.Offset(n, c), in.Size(), xp[in.Offset(0, c)], slots[0], slots[1]);
    });
    for (int64_t c = 0; c < in.channels; ++c) {
      const double shifted_mean = sums[2 * c] / static_cast<double>(count);
      vp[c] = std::max(0.0, sums[2 * c + 1] / static_cast<double>(count) - shifted_mean * shifted_mean);
      mp[c] = xp[in.Offset(0, c)] + shifted_mean;
      ip[c] = 1.0 / std::sqrt(vp[c] + epsilon);
    }
    {
      torch::NoGradGuard no_grad;
      const double unbiased = count > 1 ? static_cast<double>(count) / static_cast<double>(count - 1) : 1.0;
      running_mean.mul_(1 - momentum).add_(mean.to(torch::kFloat), momentum);
      running_var.mul_(1 - momentum).add_((variance * unbiased).to(torch::kFloat), momentum);
    }
    auto [a, b] = ScaleAndShift(weight, bias, mean, inverse_std);
    torch::Tensor out = OutputFor(x, max_pool);
    PoolChoice pool = max_pool ? PoolChoice::For(out) : PoolChoice();
    NormReluPool(x, a, b, out, max_pool ? &pool : nullptr);
    ctx->save_for_backward({x, out, pool.which, pool.picked, mean, inverse_std, a});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &out = saved[1], &which = saved[2], &picked = saved[3], &mean = saved[4],
                        &inverse_std = saved[5], &a = saved[6];
    const bool max_pool = which.defined();
    const torch::Tensor grad = grads[0].contiguous();
    const Planes in = Planes::Of(x), pooled = Planes::Of(out);
    const double count = static_cast<double>(in.count * in.Size());
    torch::Tensor dx = torch::empty_like(x);
    torch::Tensor dweight = torch::empty({in.channels}, x.options()), dbias = torch::empty_like(dweight);
    const float* xp = x.data_ptr<float>();
    const float* op = out.data_ptr<float>();
    const float* gp = grad.data_ptr<float>();
    // The first pass sees the pooled outputs and the inputs they picked.
    const float* sp = max_pool ? picked.data_ptr<float>() : xp;
    const uint8_t* wp = max_pool ? which.data_ptr<uint8_t>() : nullptr;
    const double* mp = mean.data_ptr<double>();
    const double* ip = inverse_std.data_ptr<double>();
    const float* ap = a.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    float* dwp = dweight.data_ptr<float>();
    float* dbp = dbias.data_ptr<float>();
    // Per channel: the sum of dz and of dz (x - mean).
    const std::vector<double> sums = SumOverBatch(in, 2, [&](int64_t n, int64_t c, double* slots) {
      const int64_t o = pooled.Offset(n, c);
      AddReluGradSums(gp + o, op + o, sp + o, pooled.Size(), static_cast<float>(mp[c]), slots[0], slots[1]);
    });
    std::vector<float> mean_dz(in.channels), k(in.channels);
    for (int64_t c = 0; c < in.channels; ++c) {
      dbp[c] = static_cast<float>(sums[2 * c]);
      dwp[c] = static_cast<float>(sums[2 * c + 1] * ip[c]);
      mean_dz[c] = static_cast<float>(sums[2 * c] / count);
      k[c] = static_cast<float>(sums[2 * c + 1] / count * ip[c] * ip[c]);
    }
    ForEachPlane(in, [&](int64_t n, int64_t c) {
      const int64_t i = in.Offset(n, c), o = pooled.Offset(n, c);
      const float channel_mean = static_cast<float>(mp[c]);
      if (max_pool)
        NormReluPoolGradPlane(gp + o, op + o, wp + o, xp + i, in.height, in.width, ap[c], channel_mean, mean_dz[c],
                              k[c], dxp + i);
      else
        NormReluGradPlane(gp + o, op + o, xp + i, in.Size(), ap[c], channel_mean, mean_dz[c], k[c], dxp + i);
    });
    return {dx, dweight, dbias, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

void BatchNormReluPoolImpl::reset() {
  weight = register_parameter("weight", torch::ones({channels_}));
  bias = register_parameter("bias", torch::zeros({channels_}));
  running_mean = register_buffer("running_mean", torch::zeros({channels_}));
  running_var = register_buffer("running_var", torch::ones({channels_}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor BatchNormReluPoolImpl::forward(const torch::Tensor& x) {
  if (is_training()) {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
  }
  // The pooled pass takes rows of at least four windows. In eval mode it has no
  // backward: it serves inference only.
  const bool hand_written = x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.dim() == 4 &&
                            weight.scalar_type() == torch::kFloat && (!max_pool_ || (x.size(2) >= 2 && x.size(3) >= 8)) &&
                            (is_training() || !torch::GradMode::is_enabled() || !x.requires_grad());
  if (!hand_written) {
    torch::Tensor y = torch::relu(torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(),
                                                    kMomentum, kEpsilon, /*cudnn_enabled=*/true));
    return max_pool_ ? torch::max_pool2d(y, 2) : y;
  }
  if (is_training())
    return TrainingPass::apply(x.contiguous(), weight, bias, running_mean, running_var, max_pool_, kMomentum,
                               kEpsilon);
  torch::NoGradGuard no_grad;
  auto [a, b] = ScaleAndShift(weight, bias, running_mean.to(torch::kDouble),
                              (running_var.to(torch::kDouble) + kEpsilon).rsqrt());
  torch::Tensor input = x.contiguous(), out = OutputFor(input, max_pool_);
  PoolChoice pool = max_pool_ ? PoolChoice::For(out) : PoolChoice();
  NormReluPool(input, a, b, out, max_pool_ ? &pool : nullptr);
  return out;
}

void BatchNormReluPoolImpl::pretty_print(std::ostream& stream) const {
  stream << "knob::BatchNormReluPool(" << channels_ << (max_pool_ ? ", max_pool=2" : "") << ")";
}

}  // namespace knob
