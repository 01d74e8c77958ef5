// What every `knob` subcommand shares: the --storage/--study options, opening a
// study with the access the command needs, reading JSON arguments (inline or
// @file), parsing objective values, and the record a trial prints as.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "launcher/output_format.h"
#include "studies/storage_url.h"
#include "studies/study.h"

namespace knob {

struct StudyLocation {
  std::string storage;
  std::string study;
  std::string file;  // a study file naming both (knob status study.yaml)
};

// --storage and --study, or a study file as the positional argument, which names
// both (for the read-only views: status, trials, best-trial).
void AddStudyOrFileOptions(CLI::App* command, StudyLocation& location);

// --storage (or $KNOB_STORAGE), required.
void AddStorageOption(CLI::App* command, std::string& storage);
// --storage and --study, both required.
void AddStudyOptions(CLI::App* command, StudyLocation& location);
// An option taking a list "a,b" or, as Optuna's CLI writes it, "a b" (joined with commas).
CLI::Option* AddListOption(CLI::App* command, const std::string& names, std::string& list,
                           const std::string& help);
// --format with the given default; `formats` is what its help lists.
void AddFormatOption(CLI::App* command, std::string& format, const std::string& default_format,
                     const std::string& formats = "table, json or csv");

struct OpenedStudy {
  std::unique_ptr<Storage> storage;
  std::unique_ptr<Study> study;
};
Result<OpenedStudy> OpenStudyAt(const StudyLocation& location, StorageAccess access);
// The storage and study names of `location`, its study file read when given.
Result<StudyLocation> ResolveStudyLocation(const StudyLocation& location);

// JSON from an argument: inline text, or @path to read it from a file.
Result<nlohmann::json> ParseJsonArgument(const std::string& what, const std::string& text);

// A number as users and Python write it: 0.5, 1e-3, inf, -inf, nan, Infinity, NaN.
Result<double> ParseValueArgument(const std::string& what, const std::string& text);

// How a trial prints: number, state, value, times, params, user attributes; with
// `detailed` (JSON) also intermediate values and system attributes.
nlohmann::ordered_json TrialRecord(const FrozenTrial& trial, bool detailed);

// Writes `text` to stdout.
void Print(const std::string& text);

}  // namespace knob
