// Benchmark objective functions with mixed search spaces and known optima, shared
// by knob's C++ benchmark and (through a C ABI, from Python with ctypes) Optuna's,
// so that both minimise exactly the same functions. Minimisation throughout.
#pragma once

#include <cstddef>

extern "C" {

// Number of functions; `holdout` ones were never used to choose TPE's defaults.
int knob_objective_count();
// JSON: {"name", "space" (knob's search-space form), "optimum", "holdout", "params"
// (names in the order eval expects: sorted), "conditional" ({param: [parent, value]})}.
const char* knob_objective_info(int index);
// Value at `x` (`n` internal values in sorted-name order: categoricals by choice
// index; NaN for a conditional parameter that is not active). With `noise_seed` >= 0
// a noisy function adds its noise, deterministic in (noise_seed, x); -1 gives the truth.
double knob_objective_eval(int index, const double* x, int n, long noise_seed);
}
