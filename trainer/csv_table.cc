#include "trainer/csv_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>

#include "base/input_reader.h"

namespace knob {

Result<std::vector<std::string>> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else fields.back() += c;
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return Error::BadInput("unterminated quote");
  return fields;
}

namespace {

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// A feature value, or what is wrong with it (the column and line are the caller's).
// Read as a double, then rounded to float: values too small for a float become 0
// (or a subnormal), as in NumPy; too large for one is an error.
Result<float> ParseFeature(const std::string& text) {
  std::string t = Trimmed(text);
  if (t.empty()) return Error::BadInput("expected a number, got an empty field");
  double value;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (end != t.data() + t.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return Error::BadInput("expected a number, got " + QuoteForMessage(t));
  size_t exponent = t.find_first_of("eE");
  bool tiny = ec == std::errc::result_out_of_range && exponent != std::string::npos && t[exponent + 1] == '-';
  if (tiny) return 0.0f;
  if (ec == std::errc() && !std::isfinite(value))
    return Error::BadInput("expected a finite number, got " + QuoteForMessage(t));
  if (ec == std::errc::result_out_of_range || std::fabs(value) > std::numeric_limits<float>::max())
    return Error::BadInput(QuoteForMessage(t) + " is beyond a 32-bit float's range (about 3.4e38)");
  return static_cast<float>(value);
}

}  // namespace

Result<CsvTable> ReadCsvTable(const std::string& path, const std::string& label_column) {
  std::ifstream in(path);
  if (!in) return Error::BadInput("dataset: cannot read CSV file '" + path + "'");
  std::string line;
  if (!std::getline(in, line)) return Error::BadInput(path + ": empty file, expected a header row");
  auto header = SplitCsvLine(line);
  if (!header.ok()) return Error::BadInput(path + ":1: " + header.error().message);
  CsvTable table;
  int label_index = -1;
  for (size_t i = 0; i < header->size(); ++i) {
    std::string name = Trimmed((*header)[i]);
    if (name == label_column) label_index = static_cast<int>(i);
    else table.feature_names.push_back(name);
  }
  if (label_index < 0) return Error::BadInput(path + ":1: no label column '" + label_column + "' in the header");
  if (table.feature_names.empty()) return Error::BadInput(path + ":1: no feature columns besides the label");
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (Trimmed(line).empty()) continue;
    std::string where = path + ":" + std::to_string(number) + ": ";
    auto fields = SplitCsvLine(line);
    if (!fields.ok()) return Error::BadInput(where + fields.error().message);
    if (fields->size() != header->size())
      return Error::BadInput(where + "expected " + std::to_string(header->size()) + " columns, found " +
                             std::to_string(fields->size()));
    for (size_t i = 0; i < fields->size(); ++i) {
      if (static_cast<int>(i) == label_index) {
        table.labels.push_back(Trimmed((*fields)[i]));
        continue;
      }
      auto value = ParseFeature((*fields)[i]);
      if (!value.ok())
        return Error::BadInput(where + "column " + QuoteForMessage(Trimmed((*header)[i])) + ": " +
                               value.error().message);
      table.features.push_back(*value);
    }
  }
  if (table.labels.empty()) return Error::BadInput(path + ": no rows after the header");
  return table;
}

Result<LabelClasses> LabelsToClasses(const std::vector<std::string>& labels, const std::vector<std::string>& known) {
  LabelClasses out;
  bool integers = known.empty();
  for (const auto& l : labels) {
    int64_t v;
    auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), v);
    if (ec != std::errc() || end != l.data() + l.size() || v < 0) integers = false;
  }
  if (integers) {
    for (const auto& l : labels) {
      int64_t index = std::stoll(l);
      if (index >= kMaxClasses)
        return Error::BadInput("integer label " + l + " is a class index, and at most " +
                               std::to_string(kMaxClasses) + " classes (0 to " + std::to_string(kMaxClasses - 1) +
                               ") are taken; give the classes as names to have them numbered");
      out.indices.push_back(index);
      out.num_classes = std::max<int>(out.num_classes, static_cast<int>(index + 1));
    }
    return out;
  }
  if (known.empty()) {
    std::set<std::string> names(labels.begin(), labels.end());
    if (static_cast<int64_t>(names.size()) > kMaxClasses)
      return Error::BadInput("the label column holds " + std::to_string(names.size()) + " distinct values; at most " +
                             std::to_string(kMaxClasses) + " classes are taken (is it a regression target?)");
    out.classes.assign(names.begin(), names.end());
  } else {
    out.classes = known;
  }
  for (const auto& l : labels) {
    auto it = std::lower_bound(out.classes.begin(), out.classes.end(), l);
    if (it == out.classes.end() || *it != l) return Error::BadInput("label '" + l + "' is not a class of the training table");
    out.indices.push_back(it - out.classes.begin());
  }
  out.num_classes = static_cast<int>(out.classes.size());
  return out;
}

}  // namespace knob
