// `knob report -o report.html`: one study's dashboard as a single HTML file that
// opens offline. The page, script and style are inlined, and the data is the
// dashboard API's own answers (dashboard_routes.h) for that study, embedded as
// JSON keyed by request path, so the report shows exactly what the live page
// would. A large study keeps every trial's detail but the log tails of only its
// most recent trials.
#pragma once

#include <string>

#include "base/result.h"
#include "studies/storage.h"

namespace knob {

Result<std::string> RenderHtmlReport(Storage& storage, const StudyRecord& study);

// Writes the report to `path` (through a temporary file, so a failed write
// leaves no half report).
Status WriteHtmlReport(Storage& storage, const StudyRecord& study, const std::string& path);

}  // namespace knob
