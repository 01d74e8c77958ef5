#include "search/samplers/gp/gp_options.h"

#include "base/json_text.h"
#include "search/option_reader.h"

namespace knob {

Result<GpOptions> ParseGpOptions(const nlohmann::json& options) {
  OptionReader read("gp sampler", options);
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"seed", "n_startup_trials", "n_candidates", "n_local_searches",
                                        "max_points", "deterministic_objective", "warm_start", "output_warping",
                                        "avoid_repeats"}));
  GpOptions o;
  KNOB_RETURN_IF_ERROR(read.Seed(&o.seed));
  KNOB_RETURN_IF_ERROR(read.Int("n_startup_trials", 0, &o.n_startup_trials));
  KNOB_RETURN_IF_ERROR(read.Int("n_candidates", 1, &o.n_candidates));
  KNOB_RETURN_IF_ERROR(read.Int("n_local_searches", 0, &o.n_local_searches));
  KNOB_RETURN_IF_ERROR(read.Int("max_points", 2, &o.max_points));
  if (o.n_candidates > 1000000) return read.Invalid("n_candidates", "must be at most 1000000");
  // The posterior holds a max_points x max_points matrix: 10000 is 800 MB.
  if (o.max_points > 10000) return read.Invalid("max_points", "must be at most 10000");
  KNOB_RETURN_IF_ERROR(read.Bool("deterministic_objective", &o.deterministic_objective));
  KNOB_RETURN_IF_ERROR(read.Bool("warm_start", &o.warm_start));
  KNOB_RETURN_IF_ERROR(read.Bool("avoid_repeats", &o.avoid_repeats));
  KNOB_RETURN_IF_ERROR(read.Choice("output_warping",
                                   {{"robust", OutputWarping::kRobust},
                                    {"standard", OutputWarping::kStandard},
                                    {"rank", OutputWarping::kRank},
                                    {"log", OutputWarping::kLog}},
                                   &o.output_warping));
  return o;
}

}  // namespace knob
