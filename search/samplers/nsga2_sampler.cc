#include "search/samplers/nsga2_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "search/option_reader.h"
#include "search/pareto.h"
#include "search/samplers/rng.h"
#include "search/samplers/uniform.h"

namespace knob {
namespace {

constexpr const char* kGenerationAttr = "nsga2:generation";

// Deb's rule within fronts: non-dominated sorting by constraint-dominance.
std::vector<std::vector<size_t>> ConstrainedFronts(const std::vector<const FrozenTrial*>& trials,
                                                   const std::vector<StudyDirection>& directions) {
  return FrontsBy(trials.size(),
                  [&](size_t a, size_t b) { return ConstrainedDominates(*trials[a], *trials[b], directions); });
}

// The best `size` of `candidates`: whole fronts, the last one cut by crowding distance.
std::vector<const FrozenTrial*> SelectElite(std::vector<const FrozenTrial*> candidates, size_t size,
                                            const std::vector<StudyDirection>& directions) {
  std::vector<const FrozenTrial*> elite;
  for (const auto& front_indices : ConstrainedFronts(candidates, directions)) {
    std::vector<const FrozenTrial*> front;
    for (size_t i : front_indices) front.push_back(candidates[i]);
    if (elite.size() + front.size() <= size) {
      elite.insert(elite.end(), front.begin(), front.end());
      if (elite.size() == size) break;
      continue;
    }
    std::vector<double> distance = CrowdingDistances(front);
    std::vector<size_t> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return distance[a] > distance[b]; });
    for (size_t i = 0; elite.size() < size; ++i) elite.push_back(front[order[i]]);
    break;
  }
  return elite;
}

}  // namespace

Result<Nsga2Options> ParseNsga2Options(const nlohmann::json& json) {
  OptionReader r("nsga2 sampler", json);
  KNOB_RETURN_IF_ERROR(r.CheckKnown({"seed", "population_size", "mutation_prob", "crossover_prob", "swapping_prob"}));
  Nsga2Options o;
  if (r.Has("seed")) {
    int seed = 0;
    KNOB_RETURN_IF_ERROR(r.Int("seed", 0, &seed));
    o.seed = static_cast<uint64_t>(seed);
  }
  if (r.Has("population_size")) KNOB_RETURN_IF_ERROR(r.Int("population_size", 2, &o.population_size));
  if (r.Has("mutation_prob")) {
    double p = 0;
    KNOB_RETURN_IF_ERROR(r.NumberIn("mutation_prob", 0, 1, &p));
    o.mutation_prob = p;
  }
  if (r.Has("crossover_prob")) KNOB_RETURN_IF_ERROR(r.NumberIn("crossover_prob", 0, 1, &o.crossover_prob));
  if (r.Has("swapping_prob")) KNOB_RETURN_IF_ERROR(r.NumberIn("swapping_prob", 0, 1, &o.swapping_prob));
  return o;
}

bool ConstrainedDominates(const FrozenTrial& a, const FrozenTrial& b, const std::vector<StudyDirection>& directions) {
  bool fa = IsFeasible(a), fb = IsFeasible(b);
  if (fa != fb) return fa;
  if (!fa) return ConstraintViolation(a) < ConstraintViolation(b);
  return Dominates(a.values, b.values, directions);
}

Nsga2Parents CollectParents(const StudySnapshot& study, int population_size) {
  std::vector<StudyDirection> directions = study.AllDirections();
  std::map<int, std::vector<const FrozenTrial*>> by_generation;
  for (const auto& t : study.trials) {
    auto g = t.system_attrs.find(kGenerationAttr);
    if (g == t.system_attrs.end() || !g->is_number_integer()) continue;
    if (t.state == TrialState::kComplete && t.values.size() == directions.size())
      by_generation[g->get<int>()].push_back(&t);
  }
  Nsga2Parents parents;
  for (int generation = 0;; ++generation) {
    auto it = by_generation.find(generation);
    if (it == by_generation.end() || static_cast<int>(it->second.size()) < population_size) break;
    std::vector<const FrozenTrial*> candidates = it->second;
    candidates.insert(candidates.end(), parents.population.begin(), parents.population.end());
    parents.population = SelectElite(std::move(candidates), population_size, directions);
    parents.generation = generation;
  }
  return parents;
}

SearchSpace Nsga2Sampler::InferRelativeSearchSpace(const StudySnapshot&, const SearchSpace& space) const {
  SearchSpace relative;
  for (const auto& [name, d] : space)
    if (!IsSingleValued(d)) relative[name] = d;
  return relative;
}

Result<RelativeSample> Nsga2Sampler::SampleRelative(const StudySnapshot& study, int trial_number,
                                                    const SearchSpace& relative_space,
                                                    const InternalParams&) const {
  RelativeSample sample;
  Nsga2Parents parents = CollectParents(study, options_.population_size);
  sample.system_attrs[kGenerationAttr] = parents.generation + 1;
  if (parents.population.empty() || relative_space.empty()) return sample;
  Rng rng = MakeRng(options_.seed, trial_number, "nsga2");
  std::vector<StudyDirection> directions = study.AllDirections();
  const auto& pool = parents.population;
  auto tournament = [&]() -> const FrozenTrial* {
    const FrozenTrial* a = pool[static_cast<size_t>(Uniform01(rng) * pool.size()) % pool.size()];
    const FrozenTrial* b = pool[static_cast<size_t>(Uniform01(rng) * pool.size()) % pool.size()];
    if (ConstrainedDominates(*b, *a, directions)) return b;
    return a;
  };
  const FrozenTrial* first = tournament();
  const FrozenTrial* second = tournament();
  for (int tries = 0; second == first && pool.size() > 1 && tries < 8; ++tries) second = tournament();
  bool cross = Uniform01(rng) < options_.crossover_prob;
  double mutation = options_.mutation_prob.value_or(1.0 / std::max<size_t>(1, relative_space.size()));
  for (const auto& [name, distribution] : relative_space) {
    const FrozenTrial* from = cross && Uniform01(rng) < options_.swapping_prob ? second : first;
    bool mutate = Uniform01(rng) < mutation;
    auto p = from->params.find(name);
    // A parent without the parameter (or with another distribution) leaves it to the uniform draw.
    if (mutate || p == from->params.end() || !(p->second.distribution == distribution)) continue;
    sample.params[name] = p->second.internal;
  }
  return sample;
}

Result<double> Nsga2Sampler::SampleIndependent(const StudySnapshot&, int trial_number, const std::string& name,
                                               const Distribution& distribution) const {
  Rng rng = MakeRng(options_.seed, trial_number, name);
  return SampleUniform(distribution, rng);
}

}  // namespace knob
