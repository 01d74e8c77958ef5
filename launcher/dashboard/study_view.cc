#include "launcher/dashboard/study_view.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "base/input_reader.h"
#include "launcher/commands/command_support.h"
#include "launcher/run/slots.h"
#include "launcher/run/worker_identity.h"
#include "search/distribution_json.h"
#include "search/pareto.h"

namespace knob {
namespace {

using Json = nlohmann::json;

Json WebNumber(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return nullptr;
  return v > 0 ? "Infinity" : "-Infinity";
}

// Replaces every non-finite number inside `value` (attributes may hold them).
Json WebValue(const Json& value) {
  if (value.is_number_float()) return WebNumber(value.get<double>());
  if (value.is_array() || value.is_object()) {
    Json copy = value;
    for (auto& item : copy) item = WebValue(item);
    return copy;
  }
  return value;
}

std::string WorkerLabelOf(const FrozenTrial& t) {
  auto w = t.system_attrs.find("knob:worker");
  if (w == t.system_attrs.end() || !w->is_object()) return "";
  WorkerIdentity id = WorkerIdentity::FromJson(*w);
  return id.host + (id.pid > 0 ? ":" + std::to_string(id.pid) : "");
}

Json CompactTrial(const FrozenTrial& t) {
  Json row;
  row["number"] = t.number;
  row["id"] = t.trial_id;
  row["state"] = TrialStateName(t.state);
  if (!t.values.empty()) {
    Json values = Json::array();
    for (double v : t.values) values.push_back(WebNumber(v));
    row["values"] = values;
  } else if (t.value) {
    row["values"] = Json::array({WebNumber(*t.value)});
  } else {
    row["values"] = nullptr;
  }
  Json params = Json::object();
  for (const auto& [name, p] : t.params) params[name] = p.External();
  row["params"] = params;
  Json steps = Json::array();
  for (const auto& [step, v] : t.intermediate_values) steps.push_back(Json::array({step, WebNumber(v)}));
  row["intermediate"] = steps;
  row["start"] = t.datetime_start.substr(0, 23);
  row["complete"] = t.datetime_complete.substr(0, 23);
  row["slot"] = SlotLabelOfAttr(t.system_attrs.value("knob:slot", Json::object()));
  row["worker"] = WorkerLabelOf(t);
  if (auto reason = t.system_attrs.find("knob:fail_reason"); reason != t.system_attrs.end() && reason->is_string())
    row["fail_reason"] = *reason;
  if (auto sampler = t.system_attrs.find("knob:sampler"); sampler != t.system_attrs.end()) row["sampler"] = WebValue(*sampler);
  if (auto c = t.system_attrs.find("constraints"); c != t.system_attrs.end()) row["constraints"] = WebValue(*c);
  return row;
}

}  // namespace

std::string WebJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json StudySummaryJson(const StudyRecord& record, const StudySnapshot& snapshot) {
  Json row;
  row["id"] = record.study_id;
  row["name"] = record.name;
  Json directions = Json::array();
  for (auto d : record.directions) directions.push_back(DirectionName(d));
  row["directions"] = directions;
  Json counts = Json::object();
  for (auto state : {TrialState::kComplete, TrialState::kPruned, TrialState::kFail, TrialState::kRunning,
                     TrialState::kWaiting})
    counts[TrialStateName(state)] = 0;
  std::string last;
  for (const auto& t : snapshot.trials) {
    counts[TrialStateName(t.state)] = counts[TrialStateName(t.state)].get<int>() + 1;
    last = std::max({last, t.datetime_start, t.datetime_complete});
  }
  row["counts"] = counts;
  row["trials"] = snapshot.trials.size();
  row["last_activity"] = last.substr(0, 19);
  row["best"] = nullptr;
  if (snapshot.IsMultiObjective()) {
    row["front_size"] = ParetoFront(snapshot).size();
  } else if (const FrozenTrial* best = snapshot.BestTrial()) {
    row["best"] = Json{{"number", best->number}, {"value", WebNumber(*best->value)}};
  }
  return row;
}

Json StudyTrialsJson(const StudyRecord& record, const StudySnapshot& snapshot,
                     const std::map<int, double>& heartbeat_ages) {
  Json out;
  Json study = StudySummaryJson(record, StudySnapshot{});
  study.erase("counts");
  study.erase("trials");
  study.erase("best");
  study.erase("last_activity");
  study["user_attrs"] = WebValue(record.user_attrs);
  out["study"] = study;
  Json params = Json::object();
  Json trials = Json::array();
  int64_t after = -1;
  Json open = Json::array();
  for (const auto& t : snapshot.trials) {
    for (const auto& [name, p] : t.params)
      if (!params.contains(name)) params[name] = ToKnobJson(p.distribution);
    trials.push_back(CompactTrial(t));
    after = std::max(after, t.trial_id);
    if (!IsFinished(t.state)) open.push_back(t.trial_id);
  }
  out["params"] = params;
  out["trials"] = trials;
  Json beats = Json::object();
  for (const auto& [number, age] : heartbeat_ages) beats[std::to_string(number)] = std::round(age * 10) / 10;
  out["heartbeats"] = beats;
  out["cursor"] = Json{{"after", after}, {"open", open}};
  return out;
}

Result<TrialChanges> ParseCursor(const std::string& after, const std::string& open) {
  TrialChanges changes;
  KNOB_ASSIGN_OR_RETURN(changes.after_trial_id, ParseInteger("after", after));
  if (!open.empty()) {
    auto ids = SplitCommas(open);
    if (ids.size() > 1000) return Error::BadInput("open names more than 1000 trials");
    for (const auto& id : ids) {
      KNOB_ASSIGN_OR_RETURN(int64_t value, ParseInteger("open", id));
      changes.open_trial_ids.push_back(value);
    }
  }
  return changes;
}

bool IsServedTrialFile(const std::string& name) {
  static const std::regex served(R"(trainer\.log|trainer\.rank[0-9]{1,4}\.log|metrics\.json|params\.json)");
  return std::regex_match(name, served);
}

Json TrialDetailJson(const FrozenTrial& trial) {
  Json detail = Json::parse(WebJson(WebValue(Json(TrialRecord(trial, /*detailed=*/true)))));
  Json values = Json::array();
  for (double v : trial.values) values.push_back(WebNumber(v));
  if (values.empty() && trial.value) values.push_back(WebNumber(*trial.value));
  detail["values"] = values;
  detail.erase("value");
  Json steps = Json::array();
  for (const auto& [step, v] : trial.intermediate_values) steps.push_back(Json::array({step, WebNumber(v)}));
  detail["intermediate_values"] = steps;
  Json files = Json::array();
  if (auto dir = trial.system_attrs.find("knob:trial_dir"); dir != trial.system_attrs.end() && dir->is_string()) {
    detail["trial_dir"] = *dir;
    // The served names present as regular files (links are not offered), in order.
    std::vector<std::string> present;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir->get<std::string>(), ec), end;
    for (int seen = 0; !ec && it != end && seen < 10000; it.increment(ec), ++seen) {
      std::string name = it->path().filename().string();
      if (IsServedTrialFile(name) && it->symlink_status(ec).type() == std::filesystem::file_type::regular)
        present.push_back(name);
    }
    std::sort(present.begin(), present.end());
    for (const auto& name : present) files.push_back(name);
  }
  detail["files"] = files;
  return detail;
}

Result<Json> TrialFileTail(const FrozenTrial& trial, const std::string& name, size_t max_bytes) {
  if (!IsServedTrialFile(name))
    return Error::BadInput("the dashboard serves trainer.log, trainer.rankN.log, metrics.json and params.json, not " +
                           QuoteForMessage(name));
  auto dir = trial.system_attrs.find("knob:trial_dir");
  if (dir == trial.system_attrs.end() || !dir->is_string())
    return Error::BadInput("trial " + std::to_string(trial.number) + " has no folder");
  std::string path = dir->get<std::string>() + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error::BadInput("trial " + std::to_string(trial.number) + " has no " + name);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::BadInput(name + " of trial " + std::to_string(trial.number) + " is not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  size_t start = size > max_bytes ? size - max_bytes : 0;
  std::string text(size - start, '\0');
  ssize_t got = ::pread(fd, text.data(), text.size(), static_cast<off_t>(start));
  ::close(fd);
  text.resize(got > 0 ? static_cast<size_t>(got) : 0);
  if (start > 0) {
    // Start at a line (or at least a character) boundary.
    size_t newline = text.find('\n');
    if (newline != std::string::npos && newline + 1 < text.size()) text.erase(0, newline + 1);
  }
  Json tail{{"name", name}, {"size", size}, {"truncated", start > 0}, {"text", text}};
  return Json::parse(WebJson(tail));
}

}  // namespace knob
