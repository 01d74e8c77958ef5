// libFuzzer target: the command line's JSON and number arguments (--params,
// --json, --value): parsed by the reader and, when taken, written back as JSON;
// and the same bytes as a --storage URL.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "launcher/commands/command_support.h"
#include "studies/storage_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto json = knob::ParseJsonArgument("--params", text);
  if (json.ok()) {
    auto again = knob::ParseJsonText("round trip", knob::DumpJson(*json));
    if (!again.ok()) __builtin_trap();  // what knob writes, knob reads
  }
  (void)knob::ParseValueArgument("--value", text);
  (void)knob::SqlitePathOf(text);
  (void)knob::SqlitePathOf("sqlite:///x.db?" + text);
  return 0;
}
