// The JSON the dashboard's page draws from, built from snapshots: the list of
// studies, a study's trials in a compact form (all of them, or only those
// changed since the page's cursor), one trial's detail, and the tail of a trial
// folder's file. Shared by the live server (dashboard_server.h) and the static
// report (html_report.h), so that both show the same thing. Numbers that JSON
// cannot hold (an infinite value) travel as the strings "Infinity"/"-Infinity".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "studies/storage.h"

namespace knob {

// One row of the studies page, from a snapshot of states, values and times.
nlohmann::json StudySummaryJson(const StudyRecord& record, const StudySnapshot& snapshot);

// A study's header (name, directions, attributes, the parameters' distributions)
// and `snapshot`'s trials; `heartbeat_ages` by trial number. The "cursor" says
// what a later poll asks for (TrialChanges).
nlohmann::json StudyTrialsJson(const StudyRecord& record, const StudySnapshot& snapshot,
                               const std::map<int, double>& heartbeat_ages);

// The cursor a page sends back: "after" (the highest trial id seen) and "open"
// (the ids it saw unfinished), as the query parameters after=N&open=1,2,3.
Result<TrialChanges> ParseCursor(const std::string& after, const std::string& open);

// Everything about one trial: params, values, intermediate values, attributes,
// fail reason, its folder, and which of its folder's files can be fetched.
nlohmann::json TrialDetailJson(const FrozenTrial& trial);

// The files of a trial folder the dashboard serves: trainer.log,
// trainer.rankN.log, metrics.json, params.json. Anything else (a path, "..") is
// refused by name, before the disk is touched.
bool IsServedTrialFile(const std::string& name);

// The last `max_bytes` of `name` in the trial's folder, as {"name", "size",
// "truncated", "text"} (invalid UTF-8 replaced). The file must be a regular file
// (a link is refused, so a trainer cannot point it elsewhere).
Result<nlohmann::json> TrialFileTail(const FrozenTrial& trial, const std::string& name, size_t max_bytes);

// `value` as strict JSON text (what a browser's JSON.parse reads): invalid UTF-8
// replaced, nothing non-finite.
std::string WebJson(const nlohmann::json& value);

}  // namespace knob
