// libFuzzer target: a search space as JSON text (create-study --space), parsed,
// validated and, when valid, written back as JSON; and the same text as one
// parameter's distribution_json in a storage (Optuna's form or knob's), read the same way.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/json_text.h"
#include "search/distribution_json.h"
#include "search/search_space.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto space = knob::ParseSearchSpaceText(text);
  if (space.ok()) (void)knob::DumpJson(knob::SearchSpaceToJson(*space));
  auto stored = knob::ParseOptunaJson("p", text);
  if (stored.ok()) (void)knob::ParseOptunaJson("p", knob::ToOptunaJson(*stored));
  return 0;
}
