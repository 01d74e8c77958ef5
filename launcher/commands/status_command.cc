// status: where a study stands (budget, counts, best trial, live workers with
// their slots and last heartbeat, running trials), as a table or JSON.
#include <cmath>
#include <map>
#include <memory>

#include "base/clock.h"
#include "base/json_field.h"
#include "base/json_text.h"
#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "launcher/run/slots.h"
#include "launcher/run/worker_identity.h"
#include "search/pareto.h"
#include "search/samplers/auto_sampler.h"
#include "studies/study_file.h"

namespace knob {
namespace {

using Json = nlohmann::ordered_json;

Json RunningTrialRow(const FrozenTrial& t, const std::string& worker, const std::string& now) {
  Json row;
  row["number"] = t.number;
  row["slot"] = SlotLabelOfAttr(t.system_attrs.value("knob:slot", nlohmann::json::object()));
  row["worker"] = worker;
  auto seconds = SecondsBetween(t.datetime_start, now);
  row["elapsed_s"] = seconds ? std::round(*seconds * 10) / 10 : 0.0;
  row["step"] = t.intermediate_values.empty() ? Json() : Json(t.intermediate_values.rbegin()->first);
  row["value"] = t.intermediate_values.empty() ? Json() : Json(t.intermediate_values.rbegin()->second);
  row["params"] = t.ParamsJson();
  return row;
}

// The study's sampler and, for auto, what it picked: how many trials each and the last.
Json SamplerStatus(const std::string& name, const StudySnapshot& snapshot) {
  Json sampler;
  sampler["name"] = name;
  Json picks = Json::object();
  std::string last;
  for (const auto& t : snapshot.trials) {
    auto pick = t.system_attrs.find(kAutoSamplerAttr);
    if (pick == t.system_attrs.end() || !pick->is_string()) continue;
    last = pick->get<std::string>();
    picks[last] = picks.value(last, 0) + 1;
  }
  if (!picks.empty()) {
    sampler["picks"] = picks;
    sampler["last_pick"] = last;
  }
  return sampler;
}

Json StudyStatus(const StudyRecord& record, const std::string& sampler_name, const StudySnapshot& snapshot,
                 const std::map<int, double>& heartbeat_ages) {
  Json status;
  status["study"] = record.name;
  status["direction"] = DirectionsText(record.directions);
  status["n_trials"] = nullptr;
  if (auto f = record.system_attrs.find(kStoredStudyFileAttr); f != record.system_attrs.end()) {
    const bool has_document = f->is_object() && f->contains("document");
    if (int n = has_document ? FieldOr<int>(f->at("document"), "n_trials", -1) : -1; n >= 0) status["n_trials"] = n;
  }
  Json counts;
  for (auto state : {TrialState::kComplete, TrialState::kPruned, TrialState::kFail, TrialState::kRunning,
                     TrialState::kWaiting})
    counts[TrialStateName(state)] = 0;
  std::map<std::string, Json> workers;
  Json running = Json::array();
  std::string now = NowText();
  for (const auto& t : snapshot.trials) {
    counts[TrialStateName(t.state)] = counts[TrialStateName(t.state)].get<int>() + 1;
    if (t.state != TrialState::kRunning) continue;
    std::string worker = "-";
    if (auto w = t.system_attrs.find("knob:worker"); w != t.system_attrs.end()) {
      WorkerIdentity id = WorkerIdentity::FromJson(*w);
      bool dead = id.OnThisMachine() && !id.IsAlive();
      worker = id.host + ":" + std::to_string(id.pid) + (dead ? " (dead)" : "");
      Json& entry = workers[worker];
      entry["worker"] = worker;
      entry["slots"] = FieldOr<int>(*w, "slots", 0);
      entry["busy"] = entry.value("busy", 0) + 1;
      if (auto age = heartbeat_ages.find(t.number); age != heartbeat_ages.end()) {
        double seconds = std::round(age->second * 10) / 10;
        if (!entry.contains("last_heartbeat_s") || seconds < entry["last_heartbeat_s"].get<double>())
          entry["last_heartbeat_s"] = seconds;
      }
    }
    running.push_back(RunningTrialRow(t, worker, now));
  }
  status["counts"] = counts;
  status["sampler"] = SamplerStatus(sampler_name, snapshot);
  status["best"] = nullptr;
  if (snapshot.IsMultiObjective()) {
    // Several objectives: the Pareto front instead of one best trial.
    Json front = Json::array();
    for (const FrozenTrial* t : ParetoFront(snapshot))
      front.push_back(Json{{"number", t->number}, {"values", t->values}, {"params", t->ParamsJson()}});
    status["front"] = front;
  } else if (const FrozenTrial* best = snapshot.BestTrial()) {
    status["best"] = Json{{"number", best->number}, {"value", *best->value}, {"params", best->ParamsJson()}};
  }
  status["workers"] = Json::array();
  for (auto& [name, w] : workers) status["workers"].push_back(w);
  status["running"] = running;
  return status;
}

std::string StatusText(const Json& status) {
  const Json& counts = status["counts"];
  int finished = counts["COMPLETE"].get<int>() + counts["PRUNED"].get<int>();
  std::string text = "study " + status["study"].get<std::string>() + " (" +
                     status["direction"].get<std::string>() + "): " + std::to_string(finished) +
                     (status["n_trials"].is_null() ? "" : " of " + std::to_string(status["n_trials"].get<int>())) +
                     " trials done\n";
  std::string tally;
  for (const auto& [state, n] : counts.items())
    tally += (tally.empty() ? "" : ", ") + std::to_string(n.get<int>()) + " " + state;
  text += "trials: " + tally + "\n";
  const Json& sampler = status["sampler"];
  text += "sampler: " + sampler["name"].get<std::string>();
  if (sampler.contains("picks")) {
    std::string picks;
    for (const auto& [name, n] : sampler["picks"].items())
      picks += (picks.empty() ? "" : ", ") + name + " " + std::to_string(n.get<int>());
    text += " (last ask: " + sampler["last_pick"].get<std::string>() + "; " + picks + ")";
  }
  text += "\n";
  const Json& best = status["best"];
  if (status.contains("front")) {
    std::string numbers;
    for (const auto& t : status["front"]) numbers += (numbers.empty() ? "" : ", ") + std::to_string(t["number"].get<int>());
    text += "front: " + std::to_string(status["front"].size()) + " trials" +
            (numbers.empty() ? "" : " (" + numbers + "; knob best-trials shows them)") + "\n";
  } else {
    text += best.is_null() ? std::string("best: none yet\n")
                           : "best: trial " + std::to_string(best["number"].get<int>()) + " = " +
                                 DumpNumber(best["value"].get<double>()) + " " + DumpJson(best["params"]) + "\n";
  }
  for (const auto& w : status["workers"]) {
    text += "worker " + w["worker"].get<std::string>() + ": " + std::to_string(w["busy"].get<int>()) + " of " +
            std::to_string(w["slots"].get<int>()) + " slots busy";
    if (w.contains("last_heartbeat_s"))
      text += ", last heartbeat " + DumpNumber(w["last_heartbeat_s"].get<double>()) + "s ago";
    text += "\n";
  }
  if (!status["running"].empty()) {
    std::vector<Json> rows(status["running"].begin(), status["running"].end());
    text += "running:\n" + RenderRecords(rows, OutputFormat::kTable);
  }
  return text;
}

struct StatusOptions {
  StudyLocation location;
  std::string format;
};

Status RunStatus(const StatusOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  if (format == OutputFormat::kCsv) return Error::BadInput("status prints table or json, not csv");
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, opened.study->Snapshot());
  KNOB_ASSIGN_OR_RETURN(auto ages, opened.storage->HeartbeatAges(opened.study->record().study_id));
  Json status = StudyStatus(opened.study->record(), opened.study->sampler_spec().name, snapshot, ages);
  Print(format == OutputFormat::kTable ? StatusText(status) : DumpJson(status) + "\n");
  return {};
}

}  // namespace

void AddStatusCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "Show a study's progress: counts, best trial, running trials and slots");
  AddStudyOrFileOptions(cmd, o->location);
  AddFormatOption(cmd, o->format, "table", "table or json");
  cmd->callback([o, &status] { status = RunStatus(*o); });
}

}  // namespace knob
