// create-study, studies, delete-study.
#include <memory>

#include "base/input_reader.h"
#include "base/json_field.h"
#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "launcher/run/trial_folders.h"
#include "search/pareto.h"

namespace knob {
namespace {

struct CreateStudyOptions {
  StudyLocation location;
  std::string direction = "minimize";
  std::string directions;  // "minimize,maximize": several objectives
  std::string sampler;     // tpe (multi-objective TPE for several objectives)
  std::string sampler_options;
  std::string pruner;      // median for one objective, nop for several
  std::string space;
  bool if_exists = false;
};

Result<StudyConfig> ConfigFrom(const CreateStudyOptions& o) {
  StudyConfig config;
  config.name = o.location.study;
  KNOB_ASSIGN_OR_RETURN(config.direction, ParseDirection(o.direction));
  if (!o.directions.empty()) {
    auto directions = ParseDirections(SplitCommas(o.directions));
    if (!directions.ok()) return Error::BadInput("--directions: " + directions.error().message);
    config.directions = *directions;
    config.direction = config.directions[0];
  }
  bool several = config.directions.size() > 1;
  config.sampler.name = !o.sampler.empty() ? o.sampler : "auto";
  if (!o.sampler_options.empty()) {
    KNOB_ASSIGN_OR_RETURN(config.sampler.options,
                          ParseJsonArgument("--sampler-options", o.sampler_options));
  }
  nlohmann::json pruner = !o.pruner.empty() ? o.pruner : several ? "nop" : "median";  // a bare name
  if (!o.pruner.empty() && (o.pruner[0] == '{' || o.pruner[0] == '@')) {
    KNOB_ASSIGN_OR_RETURN(pruner, ParseJsonArgument("--pruner", o.pruner));
  }
  KNOB_ASSIGN_OR_RETURN(config.pruner, ParsePrunerSpec(pruner));
  if (!o.space.empty()) {
    KNOB_ASSIGN_OR_RETURN(nlohmann::json space, ParseJsonArgument("--space", o.space));
    KNOB_ASSIGN_OR_RETURN(config.space, ParseSearchSpace(space));
  }
  return config;
}

Status RunCreateStudy(const CreateStudyOptions& o) {
  // Everything is checked before the storage is opened, so bad input creates nothing.
  KNOB_ASSIGN_OR_RETURN(StudyConfig config, ConfigFrom(o));
  KNOB_RETURN_IF_ERROR(Study::Validate(config));
  KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(o.location.storage, StorageAccess::kCreate));
  if (o.if_exists) {
    auto existing = storage->FindStudy(config.name);
    if (existing.ok()) {
      if (existing->directions != config.AllDirections())
        return Error::BadInput("study '" + config.name + "' exists with direction " +
                               DirectionsText(existing->directions));
      Print(config.name + "\n");
      return {};
    }
  }
  KNOB_RETURN_IF_ERROR(Study::Create(*storage, config));
  Print(config.name + "\n");
  return {};
}

struct StudiesOptions {
  std::string storage;
  std::string format;
};

Status RunStudies(const StudiesOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(o.storage, StorageAccess::kRead));
  KNOB_ASSIGN_OR_RETURN(auto records, storage->ListStudies());
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& record : records) {
    KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage->ReadStudy(record.study_id));
    std::string start;
    for (const auto& t : snapshot.trials)
      if (!t.datetime_start.empty() && (start.empty() || t.datetime_start < start))
        start = t.datetime_start;
    const FrozenTrial* best = snapshot.BestTrial();
    auto sampler = record.system_attrs.find("knob:sampler");
    nlohmann::ordered_json row;
    row["name"] = record.name;
    row["direction"] = DirectionsText(record.directions);
    row["n_trials"] = snapshot.trials.size();
    if (snapshot.IsMultiObjective()) row["best_value"] = std::to_string(ParetoFront(snapshot).size()) + " on the front";
    else row["best_value"] = best ? nlohmann::ordered_json(*best->value) : nlohmann::ordered_json();
    row["sampler"] = sampler != record.system_attrs.end() ? FieldOr<std::string>(*sampler, "name", "") : "";
    row["datetime_start"] = start.substr(0, 19);
    rows.push_back(row);
  }
  Print(RenderRecords(rows, format));
  return {};
}

}  // namespace

void AddCreateStudyCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<CreateStudyOptions>();
  auto* cmd = app.add_subcommand("create-study", "Create a study (prints its name)");
  AddStudyOptions(cmd, o->location);
  cmd->add_option("--direction", o->direction, "minimize (default) or maximize");
  AddListOption(cmd, "--directions", o->directions,
                "one per objective, e.g. minimize,maximize or minimize maximize (a multi-objective study)");
  cmd->add_option("--sampler", o->sampler, "auto (default: gp or tpe per ask), tpe, gp, random, grid, nsga2 (several objectives)");
  cmd->add_option("--sampler-options", o->sampler_options,
                  "sampler options as JSON or @file, e.g. {\"seed\": 1}");
  cmd->add_option("--pruner", o->pruner,
                  "median (default), nop, percentile, asha, hyperband, threshold or patient; "
                  "with options as JSON or @file, e.g. {\"name\": \"asha\", \"reduction_factor\": 3}");
  cmd->add_option("--space,--search-space", o->space, "search space as JSON or @file, knob's form or Optuna's");
  cmd->add_flag("--if-exists,--skip-if-exists", o->if_exists, "succeed without change when the study exists");
  cmd->callback([o, &status] { status = RunCreateStudy(*o); });
}

void AddStudiesCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<StudiesOptions>();
  auto* cmd = app.add_subcommand("studies", "List the studies of a storage");
  AddStorageOption(cmd, o->storage);
  AddFormatOption(cmd, o->format, "table");
  cmd->callback([o, &status] { status = RunStudies(*o); });
}

struct DeleteStudyOptions : StudyLocation {
  bool force = false;
  bool purge = false;
};

// A trial whose heartbeat is younger than this belongs to a live `knob run`.
constexpr double kLiveHeartbeatSeconds = 60;

void AddDeleteStudyCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<DeleteStudyOptions>();
  auto* cmd = app.add_subcommand("delete-study", "Delete a study and all its trials");
  AddStudyOrFileOptions(cmd, *o);
  cmd->add_flag("--force", o->force, "delete it even while `knob run` workers are running its trials");
  cmd->add_flag("--purge", o->purge, "also remove its trials' folders (those in output folders it claimed)");
  cmd->callback([o, &status] {
    status = [&]() -> Status {
      KNOB_ASSIGN_OR_RETURN(StudyLocation where, ResolveStudyLocation(*o));
      KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(where.storage, StorageAccess::kWrite));
      KNOB_ASSIGN_OR_RETURN(StudyRecord record, storage->FindStudy(where.study));
      if (!o->force) {
        KNOB_ASSIGN_OR_RETURN(auto ages, storage->HeartbeatAges(record.study_id));
        int live = 0;
        for (const auto& [number, age] : ages) live += age < kLiveHeartbeatSeconds;
        if (live > 0)
          return Error::BadInput("study '" + where.study + "' has " + std::to_string(live) +
                                 " trials running in live `knob run` workers; stop them first (or --force)");
      }
      std::vector<std::string> trial_dirs;
      if (o->purge) {
        KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage->ReadStudy(record.study_id, SnapshotParts::StatesOnly()));
        for (const auto& t : snapshot.trials)
          if (auto dir = t.system_attrs.find("knob:trial_dir"); dir != t.system_attrs.end() && dir->is_string())
            trial_dirs.push_back(dir->get<std::string>());
      }
      KNOB_RETURN_IF_ERROR(storage->DeleteStudy(record.study_id));
      if (o->purge) {
        int removed = PurgeTrialFolders(trial_dirs, where.storage, record);
        std::fprintf(stderr, "knob: removed %d trial folders of study '%s'\n", removed, record.name.c_str());
      }
      return Status();
    }();
  });
}

}  // namespace knob
