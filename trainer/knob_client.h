// The trainer side of knob's protocol for knob-train: reports on the control
// channel named by $KNOB_CONTROL_FD (answered with a prune decision) and the final
// result. Outside `knob run` it does nothing but print the `{"knob_result": V}`
// line at the end, so the same binary runs on its own. Torch-free.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace knob {

class KnobClient {
 public:
  static KnobClient FromEnvironment();
  bool connected() const { return fd_ >= 0; }
  // Sends a report; true when the study's pruner says to stop.
  bool Report(int64_t step, double value, const nlohmann::json& metrics);
  void Result(double value, const nlohmann::json& metrics);

 private:
  explicit KnobClient(int fd) : fd_(fd) {}
  void Send(const nlohmann::json& message);
  int fd_;
};

}  // namespace knob
