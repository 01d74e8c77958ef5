// libFuzzer target: a short study run by any sampler over a fuzzed space and fuzzed
// objective values. The input is one JSON object:
//   {"sampler": "tpe", "multivariate": true, "objectives": 2, "space": {...},
//    "values": [0.5, "inf", "-inf", "nan", 1e308, ...]}
// (sampler: random, tpe, gp, auto or nsga2; "nan" fails a trial). Each ask must
// succeed and keep every parameter inside its distribution; anything else traps.
// Sizes are capped so that one input stays well under the fuzzer's timeout.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/input_reader.h"
#include "search/search_space.h"
#include "studies/memory_storage.h"
#include "studies/study.h"

namespace {

constexpr size_t kMaxParams = 8, kMaxChoices = 32, kMaxTrials = 30;

double ValueOf(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v == "inf") return INFINITY;
  if (v == "-inf") return -INFINITY;
  return NAN;
}

bool SmallEnough(const knob::SearchSpace& space) {
  if (space.size() > kMaxParams) return false;
  for (const auto& [name, d] : space)
    if (const auto* c = std::get_if<knob::CategoricalDistribution>(&d); c && c->choices.size() > kMaxChoices)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto doc = knob::ParseJsonText("fuzz", std::string(reinterpret_cast<const char*>(data), size));
  if (!doc.ok() || !doc->is_object() || !doc->contains("space")) return 0;
  auto space = knob::ParseSearchSpace((*doc)["space"]);
  if (!space.ok() || !SmallEnough(*space)) return 0;
  const nlohmann::json none;
  auto field = [&](const char* key) -> const nlohmann::json& { return doc->contains(key) ? (*doc)[key] : none; };
  std::string sampler = field("sampler").is_string() ? field("sampler").get<std::string>() : "tpe";
  int objectives = field("objectives") == 2 ? 2 : 1;
  const nlohmann::json& values = field("values");
  if (!values.is_array() || values.empty()) return 0;

  knob::StudyConfig config;
  config.name = "fuzz";
  config.space = *space;
  config.sampler = {sampler, {{"seed", 1}}};
  if (sampler == "tpe" || sampler == "gp" || sampler == "auto") config.sampler.options["n_startup_trials"] = 3;
  if (sampler == "tpe" && field("multivariate") == true)
    config.sampler.options.update({{"multivariate", true}, {"group", true}});
  if (sampler == "nsga2") config.sampler.options["population_size"] = 4;
  if (objectives == 2) {
    config.directions = {knob::StudyDirection::kMinimize, knob::StudyDirection::kMaximize};
    config.pruner = {"nop", nlohmann::json::object()};
  }
  knob::MemoryStorage storage;
  auto study = knob::Study::Create(storage, config);
  if (!study.ok()) return 0;  // a sampler that does not take this study (gp with two objectives)
  for (size_t i = 0; i < std::min(values.size(), kMaxTrials); ++i) {
    auto trial = study->Ask();
    if (!trial.ok()) {
      if (trial.error().kind == knob::ErrorKind::kExhausted) return 0;
      __builtin_trap();
    }
    for (const auto& [name, param] : trial->params)
      if (!knob::ToInternal(name, space->at(name), param.External()).ok()) __builtin_trap();
    knob::TellRequest tell;
    double v = ValueOf(values[i]);
    if (objectives == 2) tell.values = {v, -ValueOf(values[(i + 1) % values.size()])};
    else tell.value = v;
    if (!study->Tell(trial->number, tell).ok()) __builtin_trap();
  }
  return 0;
}
