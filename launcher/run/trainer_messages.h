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

// Bad input naming what is wrong with the line (every line first goes through
// base/input_reader: size, depth, UTF-8 and number ranges).
Result<TrainerMessage> ParseTrainerMessage(const std::string& line, const std::string& metric);

// {"type":"decision","prune":true}\n
std::string DecisionLine(bool prune);
// {"type":"error","message":"..."}\n: the answer to a line knob could not take, so
// that a trainer waiting for a decision gets an answer (its helper raises it).
std::string ErrorLine(const std::string& message);

// What one trainer may send on its channel; past these its trial FAILs
// (kind "protocol"), so that no trainer can stall knob or fill its memory.
struct ChannelLimits {
  size_t max_line_bytes = 1u << 20;   // one message
  double messages_per_second = 200;   // sustained, on average
  double message_burst = 2000;        // and at most this many at once
  size_t max_unread_answers = 10000;  // answers the trainer has not read yet
  size_t read_bytes_per_turn = 1u << 18;  // then other trials' events get their turn
};

// The value of the last `{"knob_result": V}` line of `log_path`, if any (reads at
// most the last 8 MiB).
std::optional<double> FindStdoutResult(const std::string& log_path);

}  // namespace knob
