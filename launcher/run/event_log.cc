#include "launcher/run/event_log.h"

#include <unistd.h>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

namespace knob {

Status EventLog::CheckLevel(const std::string& level) {
  for (const char* name : {"trace", "debug", "info", "warn", "error", "off"})
    if (level == name) return {};
  return Error::BadInput("--log-level must be trace, debug, info, warn, error or off, got '" + level + "'");
}

Result<EventLog> EventLog::Open(const std::string& folder, const std::string& level) {
  KNOB_RETURN_IF_ERROR(CheckLevel(level));
  EventLog log;
  if (level == "off") return log;
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(folder + "/knob.log", 10u << 20, 3);
    log.logger_ = std::make_shared<spdlog::logger>("knob", sink);
    log.logger_->set_level(spdlog::level::from_str(level));
    log.logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [pid " + std::to_string(getpid()) + "] %v");
    log.logger_->flush_on(spdlog::level::trace);  // a crash or SIGKILL loses no line
  } catch (const spdlog::spdlog_ex& e) {
    return Error::Runtime("cannot open the event log in '" + folder + "': " + e.what());
  }
  return log;
}

void EventLog::Debug(const std::string& line) const {
  if (logger_) logger_->debug(line);
}
void EventLog::Info(const std::string& line) const {
  if (logger_) logger_->info(line);
}
void EventLog::Warn(const std::string& line) const {
  if (logger_) logger_->warn(line);
}
void EventLog::Error(const std::string& line) const {
  if (logger_) logger_->error(line);
}

}  // namespace knob
