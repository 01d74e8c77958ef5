// Mixed precision for knob-train: while a guard lives, eligible operations on its
// device type run in bf16 or fp16 (LibTorch's autocast, which has no C++ guard of
// its own). Spelled for LibTorch 1.13 and for 2.4+, whose device-generic calls
// replace the per-device ones. Wrap forward and loss only; backward runs outside.
// Torch code, header only.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <optional>

namespace knob {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define KNOB_AUTOCAST_DEVICE_GENERIC 1
#endif

class AutocastGuard {
 public:
  // No effect when `dtype` is empty (fp32).
  AutocastGuard(torch::DeviceType device, std::optional<torch::ScalarType> dtype) : device_(device), active_(dtype) {
    if (!active_) return;
#ifdef KNOB_AUTOCAST_DEVICE_GENERIC
    previous_ = at::autocast::is_autocast_enabled(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, *dtype);
#else
    if (device_ == torch::kCPU) {
      previous_ = at::autocast::is_cpu_enabled();
      at::autocast::set_cpu_enabled(true);
      at::autocast::set_autocast_cpu_dtype(*dtype);
    } else {
      previous_ = at::autocast::is_enabled();
      at::autocast::set_enabled(true);
      at::autocast::set_autocast_gpu_dtype(*dtype);
    }
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef KNOB_AUTOCAST_DEVICE_GENERIC
    at::autocast::set_autocast_enabled(device_, previous_);
#else
    if (device_ == torch::kCPU) at::autocast::set_cpu_enabled(previous_);
    else at::autocast::set_enabled(previous_);
#endif
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  torch::DeviceType device_;
  bool active_;
  bool previous_ = false;
};

}  // namespace knob
