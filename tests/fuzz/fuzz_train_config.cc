// libFuzzer target: knob-train's configuration: a JSON config plus a --set
// override (the input's first line), through TrainingArguments and the model and
// dataset sections. Torch-free: the parts knob-train reads before any training.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/input_reader.h"
#include "trainer/dataset.h"
#include "trainer/model_spec.h"
#include "trainer/training_arguments.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  size_t newline = text.find('\n');
  std::vector<std::string> sets;
  if (newline != std::string::npos) {
    sets.push_back(text.substr(0, newline));
    text = text.substr(newline + 1);
  }
  auto config = knob::ParseJsonText("config", text);
  if (!config.ok()) return 0;
  auto applied = knob::ApplyOverrides(*config, sets);
  if (!applied.ok()) return 0;
  (void)knob::ParseTrainingArguments(*applied);
  if (applied->is_object() && applied->contains("model")) (void)knob::ParseModelSpec((*applied)["model"]);
  if (applied->is_object() && applied->contains("dataset")) (void)knob::ParseDataSpec((*applied)["dataset"]);
  return 0;
}
