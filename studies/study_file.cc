#include "studies/study_file.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>

#include "base/input_reader.h"
#include "base/duration.h"
#include "base/json_text.h"
#include "base/key_overrides.h"
#include "base/text_file.h"
#include "base/value_reader.h"
#include "studies/storage_url.h"
#include "studies/yaml_document.h"

namespace knob {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kBuiltinPlaceholders = {"trial_number", "trial_dir", "study_dir", "study",
                                                     "resume_dir"};
constexpr int kMaxProcessesPerTrial = 256;

// Turns checks on one document into one-line errors: "<file>:<line>: <key>: <what>".
// The checks are base/value_reader's; the line is found from the error's key.
class Checker {
 public:
  Checker(std::string name, const std::map<std::string, int>& lines)
      : name_(std::move(name)), lines_(lines) {}

  Error Fail(const std::string& key, const std::string& what) const { return At(KeyError(key, what)); }
  // An error from a reader: its message prefixed by the line of its key (or of
  // `section` + "." + its key, for a reader that knows only its own keys).
  Error At(const Error& error, const std::string& section = "") const {
    std::string key = section.empty() ? error.key : error.key.empty() ? section : section + "." + error.key;
    return Error::BadInput(Where(key) + error.message);
  }
  Status Located(Status status, const std::string& section = "") const {
    return status.ok() ? status : Status(At(status.error(), section));
  }

  Status KnownKeys(const nlohmann::json& object, const std::string& key,
                   const std::set<std::string>& known) const {
    return Located(CheckKnownKeys(key, object, known));
  }

  Result<int> Int(const nlohmann::json& value, const std::string& key, int min) const {
    int64_t read = 0;
    KNOB_RETURN_IF_ERROR(Located(ReadInt(key, value, min, &read, 1000000000)));
    return static_cast<int>(read);
  }

  Result<std::string> String(const nlohmann::json& value, const std::string& key) const {
    std::string read;
    KNOB_RETURN_IF_ERROR(Located(ReadString(key, value, &read)));
    return read;
  }

  Result<bool> Bool(const nlohmann::json& value, const std::string& key) const {
    bool read = false;
    KNOB_RETURN_IF_ERROR(Located(ReadBool(key, value, &read)));
    return read;
  }

  Result<std::string> Choice(const nlohmann::json& value, const std::string& key,
                             const std::vector<std::string>& choices) const {
    std::string read;
    KNOB_RETURN_IF_ERROR(Located(ReadChoice(key, value, choices, &read)));
    return read;
  }

  Result<double> Duration(const nlohmann::json& value, const std::string& key) const {
    auto seconds = value.is_number() ? CheckDuration(key, value.get<double>())
                   : value.is_string() ? ParseDuration(key, value.get<std::string>())
                                       : Result<double>(ExpectedValue(key, "a duration such as 90s, 10m or 2h", value));
    if (!seconds.ok()) return Error::BadInput(Where(key) + seconds.error().message);
    return *seconds;
  }

  // The line of `key`, or of the innermost enclosing key that has one.
  std::string Where(const std::string& key) const {
    std::string path = key;
    while (!path.empty()) {
      if (auto it = lines_.find(path); it != lines_.end())
        return name_ + ":" + std::to_string(it->second) + ": ";
      size_t cut = path.find_last_of(".[");
      path = cut == std::string::npos ? "" : path.substr(0, cut);
    }
    return name_ + ": ";
  }

 private:
  std::string name_;
  const std::map<std::string, int>& lines_;
};

// `{name: tpe, seed: 1}` or `tpe`: the name and the other keys as options.
Result<SamplerSpec> ParseSampler(const Checker& check, const nlohmann::json& value) {
  SamplerSpec spec;
  if (value.is_string()) {
    spec.name = value.get<std::string>();
    return spec;
  }
  if (!value.is_object() || !value.contains("name") || !value["name"].is_string())
    return check.Fail("sampler", "expected a name or {name: ..., options...}, got " + DumpJson(value));
  spec.name = value["name"].get<std::string>();
  for (const auto& [k, v] : value.items())
    if (k != "name") spec.options[k] = v;
  return spec;
}

// A study name as one folder name: letters, digits, '.', '_' and '-' kept (no
// leading dot), anything else '_'; a name that had to change, or is too long, gets
// a hash of the whole name so that two names never share a folder.
std::string SafeFolderName(const std::string& name) {
  std::string safe;
  for (char c : name) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || (c == '.' && !safe.empty());
    safe += keep ? c : '_';
  }
  if (safe == name && safe.size() <= 100) return safe;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "-%08llx", static_cast<unsigned long long>(hash & 0xffffffffull));
  return safe.substr(0, 100) + suffix;
}

std::string ResolveStorage(const std::string& url, const std::string& base_dir) {
  std::string path = url, options;
  if (std::optional<SqliteUrl> sqlite = SplitSqliteUrl(url)) {
    path = sqlite->path;
    options = sqlite->query;  // SQLAlchemy's ?timeout=, checked when the storage opens
  } else if (url.find("://") != std::string::npos) {
    return url;  // a server: taken as it is
  }
  if (fs::path(path).is_relative()) path = (fs::path(base_dir) / path).lexically_normal().string();
  // A path holding a '?' (a folder's name) stays bare: in a URL the '?' would start options.
  if (path.find('?') != std::string::npos) return path;
  return kSqliteUrlPrefix + path + options;
}

Status ParseTrainer(const Checker& check, const nlohmann::json& t, const SearchSpace& space,
                    TrainerSpec* out) {
  KNOB_RETURN_IF_ERROR(check.KnownKeys(t, "trainer", {"command", "timeout", "retries", "env", "stop_grace",
                                                      "working_dir", "reuse", "max_trials_per_worker",
                                                      "processes", "max_log_mb"}));
  if (!t.contains("command")) return check.Fail("trainer", "'command' is required");
  auto check_placeholders = [&](const std::string& key, const std::string& text) -> Status {
    auto names = PlaceholderNames(text);
    if (!names.ok()) return check.Fail(key, names.error().message);
    for (const auto& name : *names)
      if (!space.count(name) && !kBuiltinPlaceholders.count(name))
        return check.Fail(key, "{" + name + "} is neither a parameter of the space nor one of "
                               "{trial_number}, {trial_dir}, {study_dir}, {study}, {resume_dir}");
    return {};
  };
  const auto& command = t["command"];
  if (command.is_string())
    return check.Fail("trainer.command",
                      "expected a list of arguments (knob runs no shell), e.g. [python3, train.py]");
  if (!command.is_array() || command.empty())
    return check.Fail("trainer.command", "expected a non-empty list of arguments, got " + DumpJson(command));
  for (size_t i = 0; i < command.size(); ++i) {
    std::string key = "trainer.command[" + std::to_string(i) + "]";
    const auto& word = command[i];
    if (!word.is_string() && !word.is_number())
      return check.Fail(key, "expected a string, got " + DumpJson(word));
    std::string text = word.is_string() ? word.get<std::string>() : DumpJson(word);
    KNOB_RETURN_IF_ERROR(check_placeholders(key, text));
    out->command.push_back(text);
  }
  if (t.contains("working_dir")) {
    KNOB_ASSIGN_OR_RETURN(out->working_dir, check.String(t["working_dir"], "trainer.working_dir"));
    if (out->working_dir.empty()) return check.Fail("trainer.working_dir", "the folder name is empty");
    KNOB_RETURN_IF_ERROR(check_placeholders("trainer.working_dir", out->working_dir));
  }
  if (t.contains("reuse")) {
    KNOB_ASSIGN_OR_RETURN(out->reuse, check.Bool(t["reuse"], "trainer.reuse"));
  }
  if (t.contains("max_trials_per_worker")) {
    KNOB_ASSIGN_OR_RETURN(out->max_trials_per_worker,
                          check.Int(t["max_trials_per_worker"], "trainer.max_trials_per_worker", 1));
  }
  if (t.contains("processes")) {
    const auto& p = t["processes"];
    if (p.is_string() && p.get<std::string>() == "per_gpu") {
      out->processes_per_gpu = true;
    } else {
      if (!p.is_number_integer())
        return check.Fail("trainer.processes", "expected a number of processes or per_gpu, got " + DumpJson(p));
      KNOB_ASSIGN_OR_RETURN(out->processes, check.Int(p, "trainer.processes", 1));
      if (out->processes > kMaxProcessesPerTrial)
        return check.Fail("trainer.processes", "at most " + std::to_string(kMaxProcessesPerTrial) +
                                                   " processes per trial, got " + std::to_string(out->processes));
    }
  }
  if (t.contains("timeout")) {
    KNOB_ASSIGN_OR_RETURN(out->timeout_seconds, check.Duration(t["timeout"], "trainer.timeout"));
  }
  if (t.contains("retries")) {
    KNOB_ASSIGN_OR_RETURN(out->retries, check.Int(t["retries"], "trainer.retries", 0));
  }
  if (t.contains("max_log_mb")) {
    KNOB_ASSIGN_OR_RETURN(out->max_log_mb, check.Int(t["max_log_mb"], "trainer.max_log_mb", 1));
  }
  if (t.contains("stop_grace")) {
    KNOB_ASSIGN_OR_RETURN(out->stop_grace_seconds, check.Duration(t["stop_grace"], "trainer.stop_grace"));
  }
  if (t.contains("env")) {
    const auto& env = t["env"];
    if (!env.is_object()) return check.Fail("trainer.env", "expected a mapping NAME: value");
    for (const auto& [k, v] : env.items()) {
      if (k.empty() || k.find('=') != std::string::npos)
        return check.Fail("trainer.env." + k, "not a valid environment variable name");
      if (v.is_string()) out->env[k] = v.get<std::string>();
      else if (v.is_number() || v.is_boolean()) out->env[k] = DumpJson(v);
      else return check.Fail("trainer.env." + k, "expected a string or number, got " + DumpJson(v));
    }
  }
  return {};
}

Status ParseResources(const Checker& check, const nlohmann::json& r, ResourceSpec* out) {
  KNOB_RETURN_IF_ERROR(check.KnownKeys(r, "resources", {"gpus", "gpus_per_trial", "trials_per_gpu", "cpu_slots"}));
  if (r.contains("gpus")) {
    const auto& gpus = r["gpus"];
    if (gpus == "all" || gpus == "none") {
      out->gpus = gpus.get<std::string>();
    } else if (gpus.is_array()) {
      out->gpus = "list";
      for (const auto& id : gpus) {
        if (id.is_number_integer() && id.get<int64_t>() >= 0) out->gpu_ids.push_back(std::to_string(id.get<int64_t>()));
        else if (id.is_string() && !id.get<std::string>().empty()) out->gpu_ids.push_back(id.get<std::string>());
        else return check.Fail("resources.gpus", "a GPU id is a number >= 0 or a name, got " + DumpJson(id));
      }
      if (out->gpu_ids.empty()) return check.Fail("resources.gpus", "the list is empty (write none for no GPUs)");
      std::set<std::string> seen(out->gpu_ids.begin(), out->gpu_ids.end());
      if (seen.size() != out->gpu_ids.size()) return check.Fail("resources.gpus", "a GPU is listed twice");
    } else {
      return check.Fail("resources.gpus", "expected all, none or a list of GPU ids, got " + DumpJson(gpus));
    }
  }
  if (r.contains("gpus_per_trial")) {
    KNOB_ASSIGN_OR_RETURN(out->gpus_per_trial, check.Int(r["gpus_per_trial"], "resources.gpus_per_trial", 1));
  }
  if (r.contains("trials_per_gpu")) {
    KNOB_ASSIGN_OR_RETURN(out->trials_per_gpu, check.Int(r["trials_per_gpu"], "resources.trials_per_gpu", 1));
  }
  if (r.contains("cpu_slots")) {
    KNOB_ASSIGN_OR_RETURN(out->cpu_slots, check.Int(r["cpu_slots"], "resources.cpu_slots", 1));
  }
  if (out->gpus_per_trial > 1 && out->trials_per_gpu > 1)
    return check.Fail("resources.trials_per_gpu", "a trial with several GPUs cannot share them (gpus_per_trial > 1)");
  return {};
}

}  // namespace

Result<std::vector<std::string>> PlaceholderNames(const std::string& word) {
  std::vector<std::string> names;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] == '{') {
      if (i + 1 < word.size() && word[i + 1] == '{') { ++i; continue; }
      size_t close = word.find('}', i);
      if (close == std::string::npos) return Error::BadInput("'{' without a closing '}' in '" + word + "'");
      std::string name = word.substr(i + 1, close - i - 1);
      if (name.empty()) return Error::BadInput("empty {} in '" + word + "' (write {{}} for braces)");
      names.push_back(name);
      i = close;
    } else if (word[i] == '}') {
      if (i + 1 < word.size() && word[i + 1] == '}') { ++i; continue; }
      return Error::BadInput("'}' without an opening '{' in '" + word + "'");
    }
  }
  return names;
}

Result<std::string> FillPlaceholders(const std::string& word,
                                     const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if ((c == '{' || c == '}') && i + 1 < word.size() && word[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      size_t close = word.find('}', i);
      if (close == std::string::npos) return Error::BadInput("'{' without a closing '}' in '" + word + "'");
      std::string name = word.substr(i + 1, close - i - 1);
      auto it = values.find(name);
      if (it == values.end()) return Error::BadInput("no value for {" + name + "} in '" + word + "'");
      out += it->second;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

Result<ConstraintSpec> ParseConstraint(const std::string& text) {
  ConstraintSpec spec;
  spec.text = text;
  size_t op = text.find_first_of("<>");
  auto trim = [](std::string s) {
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  auto valid_name = [](const std::string& name) {
    return !name.empty() && name.find_first_of(" \t=<>") == std::string::npos;
  };
  if (op == std::string::npos) {
    spec.metric = trim(text);
    if (!valid_name(spec.metric)) return Error::BadInput("expected NAME, NAME <= LIMIT or NAME >= LIMIT, got " + QuoteForMessage(text));
    return spec;
  }
  if (op + 1 >= text.size() || text[op + 1] != '=')
    return Error::BadInput("expected NAME <= LIMIT or NAME >= LIMIT (<= and >=, not < or >), got " + QuoteForMessage(text));
  spec.at_most = text[op] == '<';
  spec.metric = trim(text.substr(0, op));
  if (!valid_name(spec.metric)) return Error::BadInput("expected NAME <= LIMIT or NAME >= LIMIT, got " + QuoteForMessage(text));
  auto limit = ParseNumber("the limit", trim(text.substr(op + 2)));
  if (!limit.ok()) return Error::BadInput("expected NAME <= LIMIT with a number as LIMIT, got " + QuoteForMessage(text));
  spec.limit = *limit;
  return spec;
}

Result<StudyFile> ParseStudyFile(const std::string& name, const std::string& base_dir,
                                 const nlohmann::json& doc, const std::map<std::string, int>& lines) {
  Checker check(name, lines);
  if (!doc.is_object()) return Error::BadInput(name + ": expected a mapping of keys at the top");
  KNOB_RETURN_IF_ERROR(check.KnownKeys(doc, "", {"study", "storage", "direction", "metric", "n_trials",
                                                 "timeout", "max_failures", "sampler", "pruner", "space",
                                                 "trainer", "resources", "output_dir", "heartbeat",
                                                 "checkpoints", "directions", "metrics", "constraints"}));
  StudyFile file;
  file.name = name;
  file.base_dir = base_dir;
  file.document = doc;
  for (const char* required : {"study", "trainer"})
    if (!doc.contains(required)) return Error::BadInput(name + ": '" + required + "' is required");
  KNOB_ASSIGN_OR_RETURN(file.config.name, check.String(doc["study"], "study"));
  if (file.config.name.empty()) return check.Fail("study", "the study name is empty");
  if (doc.contains("direction") && doc.contains("directions"))
    return check.Fail("directions", "give direction or directions, not both");
  const char* direction_key = doc.contains("directions") ? "directions" : "direction";
  if (doc.contains(direction_key) && (doc[direction_key].is_array() || std::string(direction_key) == "directions")) {
    // Several objectives: [minimize, maximize].
    const auto& list = doc[direction_key];
    if (!list.is_array() || list.empty())
      return check.Fail(direction_key, "expected a list of minimize or maximize, got " + DumpJson(list));
    std::vector<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      KNOB_ASSIGN_OR_RETURN(std::string name, check.String(list[i], std::string(direction_key) + "[" + std::to_string(i) + "]"));
      names.push_back(name);
    }
    auto parsed = ParseDirections(names);
    if (!parsed.ok()) return check.Fail(direction_key, parsed.error().message);
    file.config.directions = *parsed;
    file.config.direction = parsed->front();
    if (file.config.directions.size() == 1) file.config.directions.clear();
  } else if (doc.contains("direction")) {
    KNOB_ASSIGN_OR_RETURN(std::string direction, check.String(doc["direction"], "direction"));
    auto parsed = ParseDirection(direction);
    if (!parsed.ok()) return check.Fail("direction", parsed.error().message);
    file.config.direction = *parsed;
  }
  const bool several = file.config.directions.size() > 1;
  if (several) {
    // Several objectives: no pruner (one may not be given at all); tpe stays the sampler.
    file.config.pruner = PrunerSpec{"nop", nlohmann::json::object()};
  }
  // Without a space, the trainer's suggestions define it (define-by-run).
  auto space = doc.contains("space") ? ParseSearchSpace(doc["space"]) : Result<SearchSpace>(SearchSpace());
  if (!space.ok()) {
    Error error = space.error();
    error.message = "space: " + error.message;
    return check.At(error, "space");
  }
  file.config.space = *space;
  if (doc.contains("sampler")) {
    KNOB_ASSIGN_OR_RETURN(file.config.sampler, ParseSampler(check, doc["sampler"]));
  }
  if (doc.contains("pruner")) {
    auto pruner = ParsePrunerSpec(doc["pruner"]);
    if (!pruner.ok()) {
      Error error = pruner.error();
      error.message = "pruner: " + error.message;
      return check.At(error, "pruner");
    }
    file.config.pruner = *pruner;
  }
  // Sampler and pruner errors name their option: point at its line.
  if (Status valid = Study::Validate(file.config); !valid.ok()) {
    std::string section = valid.error().message.find("pruner") != std::string::npos ? "pruner" : "sampler";
    return check.At(valid.error(), section);
  }
  std::string storage = "knob.db";
  if (doc.contains("storage")) {
    KNOB_ASSIGN_OR_RETURN(storage, check.String(doc["storage"], "storage"));
  }
  file.storage = ResolveStorage(storage, base_dir);
  if (doc.contains("metric") && doc.contains("metrics")) return check.Fail("metrics", "give metric or metrics, not both");
  if (doc.contains("metric")) {
    KNOB_ASSIGN_OR_RETURN(file.metric, check.String(doc["metric"], "metric"));
  }
  if (doc.contains("metrics")) {
    const auto& list = doc["metrics"];
    if (!list.is_array() || list.empty())
      return check.Fail("metrics", "expected a list of metric names, one per objective, got " + DumpJson(list));
    for (size_t i = 0; i < list.size(); ++i) {
      KNOB_ASSIGN_OR_RETURN(std::string name, check.String(list[i], "metrics[" + std::to_string(i) + "]"));
      file.metrics.push_back(name);
    }
    size_t objectives = std::max<size_t>(1, file.config.directions.size());
    if (file.metrics.size() != objectives)
      return check.Fail("metrics", std::to_string(file.metrics.size()) + " metrics for " + std::to_string(objectives) +
                                       (objectives == 1 ? " direction" : " directions") + "; give one per objective");
    file.metric = file.metrics[0];
    if (objectives == 1) file.metrics.clear();
  }
  if (doc.contains("constraints")) {
    const auto& list = doc["constraints"];
    if (!list.is_array()) return check.Fail("constraints", "expected a list such as [\"latency_ms <= 20\"], got " + DumpJson(list));
    for (size_t i = 0; i < list.size(); ++i) {
      std::string key = "constraints[" + std::to_string(i) + "]";
      KNOB_ASSIGN_OR_RETURN(std::string text, check.String(list[i], key));
      auto parsed = ParseConstraint(text);
      if (!parsed.ok()) return check.Fail(key, parsed.error().message);
      file.constraints.push_back(*parsed);
    }
  }
  if (doc.contains("n_trials")) {
    KNOB_ASSIGN_OR_RETURN(file.n_trials, check.Int(doc["n_trials"], "n_trials", 1));
  }
  if (doc.contains("timeout")) {
    KNOB_ASSIGN_OR_RETURN(file.timeout_seconds, check.Duration(doc["timeout"], "timeout"));
  }
  if (doc.contains("max_failures")) {
    KNOB_ASSIGN_OR_RETURN(file.max_failures, check.Int(doc["max_failures"], "max_failures", 1));
  }
  std::string output = "knob-runs/" + SafeFolderName(file.config.name);
  if (doc.contains("output_dir")) {
    KNOB_ASSIGN_OR_RETURN(output, check.String(doc["output_dir"], "output_dir"));
  }
  file.output_dir = (fs::path(base_dir) / output).lexically_normal().string();
  if (doc.contains("heartbeat")) {
    const auto& h = doc["heartbeat"];
    KNOB_RETURN_IF_ERROR(check.KnownKeys(h, "heartbeat", {"interval", "stale_after"}));
    if (h.contains("interval")) {
      KNOB_ASSIGN_OR_RETURN(file.heartbeat_seconds, check.Duration(h["interval"], "heartbeat.interval"));
    }
    if (h.contains("stale_after")) {
      KNOB_ASSIGN_OR_RETURN(file.stale_after_seconds, check.Duration(h["stale_after"], "heartbeat.stale_after"));
    }
    // Each beat is a storage write, and a worker whose beats come late must not
    // look dead to the others: beats no faster than 10 a second, 3 per stale_after.
    if (file.heartbeat_seconds < 0.1)
      return check.Fail("heartbeat.interval", "must be at least 100ms, got " + ShortDuration(file.heartbeat_seconds));
    if (file.stale_after_seconds < 3 * file.heartbeat_seconds)
      return check.Fail("heartbeat.stale_after", "must be at least 3 x heartbeat.interval (" +
                                                     ShortDuration(3 * file.heartbeat_seconds) + ")");
  }
  KNOB_RETURN_IF_ERROR(ParseTrainer(check, doc["trainer"], *file.config.space, &file.trainer));
  if (doc.contains("resources")) {
    KNOB_RETURN_IF_ERROR(ParseResources(check, doc["resources"], &file.resources));
  }
  if (doc.contains("checkpoints")) {
    const auto& c = doc["checkpoints"];
    KNOB_RETURN_IF_ERROR(check.KnownKeys(c, "checkpoints", {"keep"}));
    if (c.contains("keep")) {
      KNOB_ASSIGN_OR_RETURN(std::string keep, check.Choice(c["keep"], "checkpoints.keep", {"all", "best", "none"}));
      file.keep_checkpoints = keep == "best" ? CheckpointKeep::kBest
                              : keep == "none" ? CheckpointKeep::kNone : CheckpointKeep::kAll;
    }
  }
  return file;
}

Result<StudyFile> LoadStudyFile(const std::string& path, const std::vector<std::string>& sets) {
  if (fs::is_directory(path)) return Error::BadInput("study file '" + path + "' is a folder");
  std::optional<std::string> text = ReadTextFile(path);
  if (!text) return Error::BadInput("cannot read study file '" + path + "'");
  std::string base_dir = fs::absolute(fs::path(path)).parent_path().lexically_normal().string();
  std::string ext = fs::path(path).extension().string();
  YamlDocument doc;
  if (ext == ".json") {
    KNOB_ASSIGN_OR_RETURN(doc.root, ParseJsonText(path, *text));
  } else {
    KNOB_ASSIGN_OR_RETURN(doc, ParseYamlDocument(path, *text));
  }
  if (!sets.empty()) {
    if (!doc.root.is_object()) return Error::BadInput(path + ": expected a mapping of keys at the top");
    KNOB_ASSIGN_OR_RETURN(doc.root, ApplyKeyOverrides(std::move(doc.root), sets));
  }
  return ParseStudyFile(path, base_dir, doc.root, doc.lines);
}

}  // namespace knob
