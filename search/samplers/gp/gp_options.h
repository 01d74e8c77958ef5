// The Gaussian-process sampler's options, as given in `--sampler-options` / a
// study file's `sampler:` and stored with the study. Parsing names the option.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/samplers/gp/output_warping.h"

namespace knob {

struct GpOptions {
  std::optional<uint64_t> seed;
  int n_startup_trials = 10;  // random trials before the first fit
  int n_candidates = 512;     // quasi-random points the acquisition is first evaluated at
  int n_local_searches = 3;   // local searches from the best of them (and the incumbent)
  // Past this many finished trials the process is fitted to a subset: the best
  // half of it and the most recent others, so an ask's cost stays bounded.
  int max_points = 300;
  bool deterministic_objective = false;  // noise fixed at its minimum instead of fitted
  bool warm_start = true;  // start the kernel fit from the one the last trial recorded
  bool avoid_repeats = true;  // never ask a point a trial already holds (while any other is left)
  // "robust", "standard", "rank" or "log" (output_warping.h)
  OutputWarping output_warping = OutputWarping::kRobust;
};

Result<GpOptions> ParseGpOptions(const nlohmann::json& options);

}  // namespace knob
