#include "trainer/single_channel_conv.h"

#include "trainer/plane_kernels.h"

namespace knob {
namespace {

// An image of H x W zero-padded by kernel / 2 on every side and laid out flat, so
// that output (y, x) is at y * padded_width + x of a "wide" output of H rows x
// padded_width columns (the last kernel - 1 columns of each row are discarded) and
// tap (ky, kx) reads the padded image kernel offset ky * padded_width + kx further
// on: every tap is then one sweep over contiguous memory. The sweeps take kBlock
// vectors at a time (independent sums, so that they do not wait on each other), and
// the wide output is rounded up to whole blocks (more discarded outputs).
constexpr int64_t kBlock = 4, kBlockFloats = kBlock * kLanes;

struct PaddedLayout {
  int64_t height, width, kernel;

  int64_t PaddedWidth() const { return width + kernel - 1; }
  int64_t WideSize() const { return (height * PaddedWidth() + kBlockFloats - 1) / kBlockFloats * kBlockFloats; }
  // Padded rows plus room for the last taps' reads past the end.
  int64_t PaddedSize() const { return (height + kernel - 1) * PaddedWidth() + kernel + kBlockFloats; }
  int64_t TapOffset(int64_t tap) const { return tap / kernel * PaddedWidth() + tap % kernel; }
};

void PadImage(const float* image, const PaddedLayout& layout, float* padded) {
  std::memset(padded, 0, sizeof(float) * layout.PaddedSize());
  const int64_t pad = layout.kernel / 2;
  for (int64_t y = 0; y < layout.height; ++y)
    std::memcpy(padded + (y + pad) * layout.PaddedWidth() + pad, image + y * layout.width,
                sizeof(float) * layout.width);
}

// wide = bias + sum over taps of weight[tap] x (the padded image from the tap's
// offset), a vector of outputs at a time.
KNOB_VECTOR_CLONES void ConvolveWide(const float* padded, const PaddedLayout& layout, const float* weights,
                                     float bias, float* wide) {
  const int64_t taps = layout.kernel * layout.kernel;
  for (int64_t p = 0; p < layout.WideSize(); p += kBlockFloats) {
    Lanes sum[kBlock], source;
    for (int64_t b = 0; b < kBlock; ++b) sum[b] = bias - Lanes{};
    for (int64_t tap = 0; tap < taps; ++tap)
      for (int64_t b = 0; b < kBlock; ++b) {
        LoadLanes(padded + layout.TapOffset(tap) + p + b * kLanes, source);
        sum[b] += weights[tap] * source;
      }
    std::memcpy(wide + p, sum, sizeof sum);
  }
}

// Adds, for each tap, the dot product of the wide gradient (zero in the discarded
// columns) with the padded image from the tap's offset: that tap's weight gradient;
// then the gradient's sum (the bias gradient) in the slot after the taps.
KNOB_VECTOR_CLONES void AddWeightGradients(const float* padded, const PaddedLayout& layout, const float* wide_grad,
                                           double* slots) {
  const int64_t taps = layout.kernel * layout.kernel;
  for (int64_t tap = 0; tap <= taps; ++tap) {
    const float* source = tap < taps ? padded + layout.TapOffset(tap) : nullptr;
    Lanes sum[kBlock] = {}, g, s;
    for (int64_t p = 0; p < layout.WideSize(); p += kBlockFloats)
      for (int64_t b = 0; b < kBlock; ++b) {
        LoadLanes(wide_grad + p + b * kLanes, g);
        if (source) LoadLanes(source + p + b * kLanes, s);
        sum[b] += source ? g * s : g;
      }
    for (int64_t b = 0; b < kBlock; ++b) slots[tap] += SumOfLanes(sum[b]);
  }
}

struct ConvPass : torch::autograd::Function<ConvPass> {
  // bias is empty when there is none (autograd functions take no undefined inputs).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                               torch::Tensor bias, int64_t kernel) {
    const int64_t count = x.size(0), out_channels = weight.size(0);
    const PaddedLayout layout{x.size(2), x.size(3), kernel};
    torch::Tensor padded = torch::empty({count, layout.PaddedSize()}, x.options());
    torch::Tensor out = torch::empty({count, out_channels, layout.height, layout.width}, x.options());
    torch::Tensor w = weight.detach().contiguous();
    const float* xp = x.data_ptr<float>();
    const float* wp = w.data_ptr<float>();
    const float* bp = bias.numel() ? bias.data_ptr<float>() : nullptr;
    float* pp = padded.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const Planes planes{count, out_channels, layout.height, layout.width};
    at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> wide(layout.WideSize());
      for (int64_t n = begin; n < end; ++n) {
        float* image = pp + n * layout.PaddedSize();
        PadImage(xp + n * layout.height * layout.width, layout, image);
        for (int64_t c = 0; c < out_channels; ++c) {
          ConvolveWide(image, layout, wp + c * kernel * kernel, bp ? bp[c] : 0.f, wide.data());
          float* plane = op + planes.Offset(n, c);
          for (int64_t y = 0; y < layout.height; ++y)
            std::memcpy(plane + y * layout.width, wide.data() + y * layout.PaddedWidth(),
                        sizeof(float) * layout.width);
        }
      }
    });
    ctx->save_for_backward({padded});
    ctx->saved_data["kernel"] = kernel;
    ctx->saved_data["height"] = layout.height;
    ctx->saved_data["width"] = layout.width;
    ctx->saved_data["bias"] = bias.numel() > 0;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const torch::Tensor padded = ctx->get_saved_variables()[0];
    const PaddedLayout layout{ctx->saved_data["height"].toInt(), ctx->saved_data["width"].toInt(),
                              ctx->saved_data["kernel"].toInt()};
    const int64_t taps = layout.kernel * layout.kernel;
    const torch::Tensor grad = grads[0].contiguous();
    const Planes planes = Planes::Of(grad);
    const float* gp = grad.data_ptr<float>();
    const float* pp = padded.data_ptr<float>();
    // Per output channel: the taps' weight gradients, then the bias gradient.
    const std::vector<double> sums = SumOverBatch(planes, taps + 1, [&](int64_t n, int64_t c, double* slots) {
      thread_local std::vector<float> wide_grad;
      wide_grad.assign(layout.WideSize(), 0.f);
      const float* plane = gp + planes.Offset(n, c);
      for (int64_t y = 0; y < layout.height; ++y)
        std::memcpy(wide_grad.data() + y * layout.PaddedWidth(), plane + y * layout.width,
                    sizeof(float) * layout.width);
      AddWeightGradients(pp + n * layout.PaddedSize(), layout, wide_grad.data(), slots);
    });
    torch::Tensor dweight = torch::empty({planes.channels, 1, layout.kernel, layout.kernel}, grad.options());
    torch::Tensor dbias;
    float* dwp = dweight.data_ptr<float>();
    for (int64_t c = 0; c < planes.channels; ++c)
      for (int64_t tap = 0; tap < taps; ++tap) dwp[c * taps + tap] = static_cast<float>(sums[c * (taps + 1) + tap]);
    if (ctx->saved_data["bias"].toBool()) {
      dbias = torch::empty({planes.channels}, grad.options());
      for (int64_t c = 0; c < planes.channels; ++c)
        dbias.data_ptr<float>()[c] = static_cast<float>(sums[c * (taps + 1) + taps]);
    }
    return {torch::Tensor(), dweight, dbias, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor SingleChannelConvImpl::forward(const torch::Tensor& x) {
  // Only the weight and bias gradients are written: an input that needs one
  // takes Conv2d's path.
  const bool hand_written = x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.dim() == 4 &&
                            x.size(1) == 1 && weight.scalar_type() == torch::kFloat &&
                            !(torch::GradMode::is_enabled() && x.requires_grad());
  if (!hand_written) return Conv2dImpl::forward(x);
  return ConvPass::apply(x.contiguous(), weight, bias.defined() ? bias : torch::empty({0}), kernel_);
}

}  // namespace knob
