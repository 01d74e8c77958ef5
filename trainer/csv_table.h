// CSV tables for knob-train: a header row of column names, one example a row,
// numeric feature columns and one label column (integers >= 0, or names, which
// become classes in sorted order). Quoted fields ("a,b", "say ""hi""") are read.
// Errors name the file and line. Used by trainer/dataset; Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace knob {

struct CsvTable {
  std::vector<std::string> feature_names;
  std::vector<float> features;  // rows x feature_names.size()
  std::vector<std::string> labels;  // as written; see LabelsToClasses
};

Result<CsvTable> ReadCsvTable(const std::string& path, const std::string& label_column);

// Class indices for labels: integers as they are when every label is one (each
// below kMaxClasses), else the sorted distinct names numbered from 0 (`classes`
// then lists them; at most kMaxClasses of them).
inline constexpr int64_t kMaxClasses = 100000;
struct LabelClasses {
  std::vector<int64_t> indices;
  std::vector<std::string> classes;  // empty for integer labels
  int num_classes = 0;
};
Result<LabelClasses> LabelsToClasses(const std::vector<std::string>& labels, const std::vector<std::string>& known);

// One CSV line split into fields (exposed for the tests).
Result<std::vector<std::string>> SplitCsvLine(const std::string& line);

}  // namespace knob
