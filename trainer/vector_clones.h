// KNOB_VECTOR_CLONES: marks a hot loop of knob-train's CPU code to be compiled for
// AVX-512, AVX2 and the x86-64 baseline, the loader picking the one the CPU has (GCC
// function multi-versioning). On other architectures it marks nothing. For
// flat_adamw and the plane kernels; no Torch.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#define KNOB_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KNOB_VECTOR_CLONES
#endif
