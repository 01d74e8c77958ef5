// libFuzzer target: one line of the trainer channel, as a trainer may send it,
// through the reader and the protocol's message rules (and the answer knob writes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "launcher/run/trainer_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  auto message = knob::ParseTrainerMessage(line, "eval_loss");
  if (!message.ok()) (void)knob::ErrorLine(message.error().message);
  return 0;
}
