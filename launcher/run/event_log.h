// The event log of `knob run`, for forensics: trial starts and ends, pruning
// decisions, failures, recoveries of dead workers' trials, protocol breaches and
// storage errors, each with a timestamp, in a rotating `knob.log` in the study's
// output folder (spdlog; 10 MB x 3 files). The console output is not this: it
// stays as the progress line prints it. Level names as spdlog's: trace, debug,
// info (the default), warn, error, off. Called by the orchestrator.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"

namespace spdlog {
class logger;
}

namespace knob {

class EventLog {
 public:
  // A log that writes nothing.
  EventLog() = default;
  // Opens (appends to) <folder>/knob.log; runtime error when it cannot.
  static Result<EventLog> Open(const std::string& folder, const std::string& level);
  // Bad input unless `level` names a level.
  static Status CheckLevel(const std::string& level);

  void Debug(const std::string& line) const;
  void Info(const std::string& line) const;
  void Warn(const std::string& line) const;
  void Error(const std::string& line) const;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace knob
