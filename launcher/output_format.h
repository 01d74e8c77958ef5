// Printing lists of records for the command line as an ASCII table, JSON or CSV.
// Records are JSON objects; in table and CSV form nested objects are flattened one
// level (params.x becomes the column params_x), like Optuna's --flatten.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

enum class OutputFormat { kTable, kJson, kCsv };

Result<OutputFormat> ParseOutputFormat(const std::string& name);

// `records` as text in `format`; JSON is one array (or one object when `single`).
std::string RenderRecords(const std::vector<nlohmann::ordered_json>& records, OutputFormat format,
                          bool single = false);

}  // namespace knob
