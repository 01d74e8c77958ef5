// libFuzzer target: a search space as JSON text (create-study --space), parsed,
// validated and, when valid, written back as JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/json_text.h"
#include "search/search_space.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto space = knob::ParseSearchSpaceText(text);
  if (space.ok()) (void)knob::DumpJson(knob::SearchSpaceToJson(*space));
  return 0;
}
