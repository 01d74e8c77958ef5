// The trainer protocol's messages (DESIGN.md "The trainer protocol"): JSON lines
// on the control channel, and the `{"knob_result": V}` stdout line of trainers
// that never open the channel. Values are JSON numbers or the NaN / Infinity /
// -Infinity that Python's json.dumps writes; a message may carry its objective in
// "value" or under the study's metric name in "metrics". Called by the orchestrator.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

struct TrainerMessage {
  enum class Type { kReport, kResult };
  Type type = Type::kReport;
  int64_t step = 0;             // reports only
  std::optional<double> value;  // "value", else metrics[metric]; may be NaN
  nlohmann::json metrics = nlohmann::json::object();
};

// Bad input naming what is wrong with the line.
Result<TrainerMessage> ParseTrainerMessage(const std::string& line, const std::string& metric);

// {"type":"decision","prune":true}\n
std::string DecisionLine(bool prune);

// The value of the last `{"knob_result": V}` line of `log_path`, if any (reads at
// most the last 8 MiB).
std::optional<double> FindStdoutResult(const std::string& log_path);

}  // namespace knob
