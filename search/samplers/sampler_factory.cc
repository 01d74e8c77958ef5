#include "search/samplers/sampler_factory.h"

#include "search/option_reader.h"

#include "search/samplers/auto_sampler.h"
#include "search/samplers/gp/gp_sampler.h"
#include "search/samplers/grid_sampler.h"
#include "search/samplers/nsga2_sampler.h"
#include "search/samplers/random_sampler.h"
#include "search/samplers/tpe/tpe_sampler.h"

namespace knob {
namespace {

Status CheckOptionKeys(const SamplerSpec& spec, std::initializer_list<const char*> allowed) {
  return OptionReader(spec.name + " sampler", spec.options).CheckKnown(allowed);
}

Result<std::optional<uint64_t>> SeedOf(const SamplerSpec& spec) {
  std::optional<uint64_t> seed;
  KNOB_RETURN_IF_ERROR(OptionReader(spec.name + " sampler", spec.options).Seed(&seed));
  return seed;
}

}  // namespace

Status ValidateSamplerSpec(const SamplerSpec& spec) {
  if (spec.name == "random") {
    KNOB_RETURN_IF_ERROR(CheckOptionKeys(spec, {"seed"}));
  } else if (spec.name == "grid") {
    KNOB_RETURN_IF_ERROR(CheckOptionKeys(spec, {"seed", "values"}));
  } else if (spec.name == "tpe") {
    auto options = ParseTpeOptions(spec.options);
    if (!options.ok()) return options.error();
    return {};
  } else if (spec.name == "nsga2") {
    auto options = ParseNsga2Options(spec.options);
    if (!options.ok()) return options.error();
    return {};
  } else if (spec.name == "gp") {
    auto options = ParseGpOptions(spec.options);
    if (!options.ok()) return options.error();
    return {};
  } else if (spec.name == "auto") {
    auto options = ParseAutoOptions(spec.options);
    if (!options.ok()) return options.error();
    return {};
  } else {
    return Error::BadInput("unknown sampler '" + spec.name + "'; choose auto, random, grid, tpe, gp or nsga2");
  }
  auto seed = SeedOf(spec);
  if (!seed.ok()) return seed.error();
  return {};
}

Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             SamplerMemory* memory) {
  auto tpe_cache = [&] {
    std::shared_ptr<TpeHistoryCache> cache;
    if (memory) {
      if (!memory->tpe_history) memory->tpe_history = std::make_shared<TpeHistoryCache>();
      cache = memory->tpe_history;
    }
    return cache;
  };
  if (spec.name == "auto") {
    KNOB_ASSIGN_OR_RETURN(AutoOptions options, ParseAutoOptions(spec.options));
    GpOptions gp;
    gp.seed = options.seed;
    gp.n_startup_trials = options.n_startup_trials;
    TpeOptions tpe;
    tpe.seed = options.seed;
    tpe.n_startup_trials = options.n_startup_trials;
    return std::unique_ptr<Sampler>(new AutoSampler(options, space, std::make_unique<GpSampler>(gp),
                                                    std::make_unique<TpeSampler>(tpe, tpe_cache())));
  }
  if (spec.name == "gp") {
    KNOB_ASSIGN_OR_RETURN(GpOptions options, ParseGpOptions(spec.options));
    return std::unique_ptr<Sampler>(new GpSampler(std::move(options)));
  }
  if (spec.name == "tpe") {
    // Parsing the options is their validation: done once per ask.
    KNOB_ASSIGN_OR_RETURN(TpeOptions options, ParseTpeOptions(spec.options));
    return std::unique_ptr<Sampler>(new TpeSampler(std::move(options), tpe_cache()));
  }
  if (spec.name == "nsga2") {
    KNOB_ASSIGN_OR_RETURN(Nsga2Options options, ParseNsga2Options(spec.options));
    return std::unique_ptr<Sampler>(new Nsga2Sampler(std::move(options)));
  }
  KNOB_RETURN_IF_ERROR(ValidateSamplerSpec(spec));
  KNOB_ASSIGN_OR_RETURN(auto seed, SeedOf(spec));
  if (spec.name == "grid") {
    auto values = spec.options.contains("values") ? spec.options["values"] : nlohmann::json();
    KNOB_ASSIGN_OR_RETURN(auto grid, GridSampler::Create(space, values, seed));
    return std::unique_ptr<Sampler>(std::move(grid));
  }
  return std::unique_ptr<Sampler>(new RandomSampler(seed));
}

}  // namespace knob
