// knob's side of the TPE benchmarks (bench/tpe_quality.py and bench/tpe_speed.py
// drive it and measure Optuna in the same run).
//
//   knob_tpe_bench quality SAMPLER_JSON SEEDS TRIALS [NAMES [STARTS]]
//                                                     -> one JSON line per (function, seed): the
//                                                        best trial's true value, `repeats`
//                                                        (asks of a point asked before) and
//                                                        `picks` (auto's choices: asks by sampler);
//                                                        NAMES (comma-separated) picks the functions,
//                                                        else the original sixteen (no "family");
//                                                        STARTS, a file of JSON lines {"problem",
//                                                        "seed", "starts"}, gives a study its first
//                                                        trials (enqueued: internal values in the
//                                                        order of the sorted names, null for an
//                                                        inactive one), as another tool drew them
//   knob_tpe_bench speed SAMPLER_JSON N REPS SPACE_JSON -> in-process ask latency at N trials
//   knob_tpe_bench fill DB N SPACE_JSON                 -> a TPE study "s" in SQLite file DB
//                                                          with N finished random trials
//
// SAMPLER_JSON is {"name": "tpe", "options": {...}}; the seed option is set per run;
// "define_by_run": true runs each study without a declared space, every parameter
// suggested as the objective reaches it (as an Optuna objective under knob.serve).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "objectives/objectives.h"
#include "search/samplers/auto_sampler.h"
#include "search/samplers/random_sampler.h"
#include "studies/memory_storage.h"
#include "studies/sqlite_storage.h"
#include "studies/study.h"

namespace knob {
namespace {

SamplerSpec SpecWithSeed(const nlohmann::json& sampler, int seed) {
  SamplerSpec spec{sampler.at("name").get<std::string>(), sampler.value("options", nlohmann::json::object())};
  spec.options["seed"] = seed;
  return spec;
}

// Suggests the parameters of `space` one by one as an Optuna objective would (those a
// condition leaves out not at all); returns the trial with them.
FrozenTrial SuggestAll(Study& study, int number, const SearchSpace& space) {
  nlohmann::json values = nlohmann::json::object();
  for (size_t pass = 0; pass <= space.size(); ++pass) {  // parents before the parameters they enable
    for (const std::string& name : ActiveParams(space, values)) {
      if (values.contains(name)) continue;
      auto value = study.Suggest(number, name, space.at(name));
      if (!value.ok()) {
        std::fprintf(stderr, "%s\n", value.error().message.c_str());
        std::exit(2);
      }
      values[name] = *value;
    }
  }
  return study.Snapshot()->trials.at(number);
}

// (problem, seed) -> the points a study of it starts from (the STARTS file's lines).
using Starts = std::map<std::pair<std::string, int>, nlohmann::json>;

Starts ReadStarts(const std::string& path) {
  Starts starts;
  if (path.empty()) return starts;
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto r = nlohmann::json::parse(line);
    starts[{r.at("problem").get<std::string>(), r.at("seed").get<int>()}] = r.at("starts");
  }
  return starts;
}

// Enqueues `points` (rows of internal values in `space`'s order, null where inactive).
void EnqueueStarts(Study& study, const SearchSpace& space, const nlohmann::json& points) {
  for (const auto& point : points) {
    nlohmann::json params = nlohmann::json::object();
    size_t k = 0;
    for (const auto& [name, d] : space) {
      const auto& v = point.at(k++);
      if (!v.is_null()) params[name] = ToExternal(d, v.get<double>());
    }
    if (auto queued = study.Enqueue(params); !queued.ok()) {
      std::fprintf(stderr, "%s\n", queued.error().message.c_str());
      std::exit(2);
    }
  }
}

int Quality(const nlohmann::json& sampler, int seeds, int trials, const std::string& names,
            const Starts& starts) {
  const bool define_by_run = sampler.value("define_by_run", false);
  for (int f = 0; f < knob_objective_count(); ++f) {
    auto info = nlohmann::json::parse(knob_objective_info(f));
    std::string name = info["name"].get<std::string>();
    bool picked = names.empty() ? !info.contains("family")
                                : ("," + names + ",").find("," + name + ",") != std::string::npos;
    if (!picked) continue;
    // Conditional parameters become knob's "when" conditions.
    nlohmann::json space_json = info["space"];
    const nlohmann::json conditional = info.value("conditional", nlohmann::json::object());
    for (const auto& [child, rule] : conditional.items())
      space_json[child]["when"] = nlohmann::json::object({{rule[0].get<std::string>(), rule[1]}});
    auto space = ParseSearchSpace(space_json);
    if (!space.ok()) {
      std::fprintf(stderr, "%s\n", space.error().message.c_str());
      return 2;
    }
    for (int seed = 0; seed < seeds; ++seed) {
      MemoryStorage storage;
      // Define-by-run: no declared space; each parameter suggested as an objective would.
      auto study = Study::Create(storage, {"bench", StudyDirection::kMinimize, SpecWithSeed(sampler, seed),
                                           define_by_run ? SearchSpace() : *space, {}});
      if (!study.ok()) {
        std::fprintf(stderr, "%s\n", study.error().message.c_str());
        return 2;
      }
      if (auto it = starts.find({name, seed}); it != starts.end()) EnqueueStarts(*study, *space, it->second);
      double best_observed = INFINITY, best_true = INFINITY;
      std::set<std::vector<double>> seen;  // distinct points asked (a repeat of a point wastes a trial)
      int repeats = 0;
      for (int i = 0; i < trials; ++i) {
        auto trial = study->Ask();
        if (define_by_run) *trial = SuggestAll(*study, trial->number, *space);
        std::vector<double> x;  // sorted names, NaN for inactive conditional parameters
        for (const auto& [name, d] : *space) {
          auto p = trial->params.find(name);
          x.push_back(p == trial->params.end() ? NAN : p->second.internal);
        }
        std::vector<double> key = x;  // NaN breaks the set's ordering: inactive sorts first
        for (double& v : key)
          if (std::isnan(v)) v = -INFINITY;
        repeats += !seen.insert(key).second;
        long noise_seed = seed * 100000L + trial->number;
        double observed = knob_objective_eval(f, x.data(), static_cast<int>(x.size()), noise_seed);
        (void)study->Tell(trial->number, {TrialState::kComplete, observed});
        if (observed < best_observed) {
          best_observed = observed;
          best_true = knob_objective_eval(f, x.data(), static_cast<int>(x.size()), -1);
        }
      }
      nlohmann::json picks = nlohmann::json::object();  // auto's choices, by sampler
      if (auto snapshot = study->Snapshot(); snapshot.ok())
        for (const auto& t : snapshot->trials)
          if (auto it = t.system_attrs.find(kAutoSamplerAttr); it != t.system_attrs.end() && it->is_string())
            picks[it->get<std::string>()] = picks.value(it->get<std::string>(), 0) + 1;
      std::printf("%s\n", nlohmann::json{{"function", info["name"]}, {"seed", seed}, {"best", best_true},
                                         {"repeats", repeats}, {"picks", picks}}.dump().c_str());
    }
  }
  return 0;
}

int Speed(const nlohmann::json& sampler, const nlohmann::json& space_json, int n, int reps) {
  auto parsed = ParseSearchSpace(space_json);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
    return 2;
  }
  SearchSpace space = *parsed;
  MemoryStorage storage;
  // Fill the history with random trials quickly, then switch to the measured sampler.
  auto filler = Study::Create(storage, {"speed", StudyDirection::kMinimize, {"random", {{"seed", 1}}}, space, {}});
  for (int i = 0; i < n; ++i) {
    auto t = filler->Ask();
    double v = 0;
    for (const auto& [name, p] : t->params) v += p.internal;
    (void)filler->Tell(t->number, {TrialState::kComplete, std::fmod(v, 7.0)});
  }
  auto measured = Study::Create(storage, {"measured", StudyDirection::kMinimize, SpecWithSeed(sampler, 0), space, {}});
  // Share the history: copy the filled trials into the measured study.
  auto snapshot = filler->Snapshot();
  int64_t id = measured->record().study_id;
  for (const auto& t : snapshot->trials) {
    (void)storage.CreateTrial(id, SnapshotParts::StatesOnly(), [&](const StudySnapshot&) -> Result<TrialPlan> {
      TrialPlan plan;
      plan.params = t.params;
      return plan;
    });
    (void)storage.FinishTrial(id, t.number, TrialState::kComplete, t.value, nlohmann::json::object());
  }
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto t = measured->Ask();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    (void)measured->Tell(t->number, {TrialState::kComplete, 1.0});
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%s\n", nlohmann::json{{"trials", n}, {"median_ms", ms[ms.size() / 2]}}.dump().c_str());
  return 0;
}

// Writes study "s" (TPE, SPACE_JSON) with n finished trials of random params to an
// SQLite file, through knob's own storage: the CLI benchmarks copy it for both tools.
int Fill(const std::string& path, int n, const nlohmann::json& space_json) {
  auto space = ParseSearchSpace(space_json);
  auto storage = SqliteStorage::Open(path, StorageAccess::kCreate);
  if (!space.ok() || !storage.ok()) return 2;
  auto study = Study::Create(**storage, {"s", StudyDirection::kMinimize, {"tpe", nlohmann::json::object()}, *space, {}});
  if (!study.ok()) return 2;
  RandomSampler random(1);
  int64_t id = study->record().study_id;
  for (int i = 0; i < n; ++i) {
    auto trial = (*storage)->CreateTrial(id, SnapshotParts::StatesOnly(), [&](const StudySnapshot&) -> Result<TrialPlan> {
      TrialPlan plan;
      for (const auto& [name, d] : *space) plan.params[name] = TrialParam{d, *random.SampleIndependent({}, i, name, d)};
      return plan;
    });
    if (!trial.ok()) return 1;
    (void)(*storage)->FinishTrial(id, trial->number, TrialState::kComplete, (i % 97) / 97.0, nlohmann::json::object());
  }
  return 0;
}

}  // namespace
}  // namespace knob

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fill" && argc == 5)
    return knob::Fill(argv[2], std::atoi(argv[3]), nlohmann::json::parse(argv[4]));
  if (!((mode == "quality" && argc >= 5 && argc <= 7) || (mode == "speed" && argc == 6))) {
    std::fprintf(stderr, "usage: knob_tpe_bench quality SAMPLER_JSON SEEDS TRIALS [NAMES [STARTS]]\n"
                         "       knob_tpe_bench speed SAMPLER_JSON N REPS SPACE_JSON\n"
                         "       knob_tpe_bench fill DB N SPACE_JSON\n");
    return 2;
  }
  auto sampler = nlohmann::json::parse(argv[2], nullptr, /*allow_exceptions=*/false);
  if (!sampler.is_object() || !sampler.contains("name") || !sampler["name"].is_string()) {
    std::fprintf(stderr, "knob_tpe_bench: SAMPLER_JSON must be an object like {\"name\": \"tpe\", \"options\": {...}}\n");
    return 2;
  }
  // A sampler's options go under "options"; any other key would be dropped unseen.
  for (const auto& [key, value] : sampler.items())
    if (key != "name" && key != "options" && key != "define_by_run") {
      std::fprintf(stderr,
                   "knob_tpe_bench: SAMPLER_JSON key '%s' is not name, options or define_by_run "
                   "(a sampler's options go under \"options\")\n",
                   key.c_str());
      return 2;
    }
  int a = std::atoi(argv[3]), b = std::atoi(argv[4]);
  if (mode == "quality")
    return knob::Quality(sampler, a, b, argc >= 6 ? argv[5] : "", knob::ReadStarts(argc == 7 ? argv[6] : ""));
  return knob::Speed(sampler, nlohmann::json::parse(argv[5]), a, b);
}
