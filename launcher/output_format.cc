#include "launcher/output_format.h"

#include <cmath>
#include <cstdio>

#include <algorithm>
#include <map>

#include "base/input_reader.h"
#include "base/json_text.h"

namespace knob {
namespace {

struct Cell {
  std::string group;   // the record's key: "params" for params_x
  std::string column;
  nlohmann::ordered_json value;
};
using Row = std::vector<Cell>;

Row Flatten(const nlohmann::ordered_json& record) {
  Row row;
  for (const auto& [key, value] : record.items()) {
    if (value.is_object()) {
      for (const auto& [inner, v] : value.items()) row.push_back({key, key + "_" + inner, v});
    } else if (key == "values" && value.is_array()) {  // several objectives: values_0, values_1
      for (size_t i = 0; i < value.size(); ++i) row.push_back({key, key + "_" + std::to_string(i), value[i]});
    } else {
      row.push_back({key, key, value});
    }
  }
  return row;
}

// A value as text; `readable` (tables) writes floats with 6 significant digits.
std::string CellText(const nlohmann::ordered_json& value, bool readable) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (readable && value.is_number_float() && std::isfinite(value.get<double>())) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value.get<double>());
    return text;
  }
  return DumpJson(value);
}

std::string CsvQuote(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

struct Grid {
  std::vector<std::string> columns;
  std::vector<std::vector<std::pair<std::string, bool>>> cells;  // text, is_number
};

Grid ToGrid(const std::vector<nlohmann::ordered_json>& records, bool readable) {
  Grid grid;
  std::vector<Row> rows;
  std::vector<std::string> groups;  // of each column
  for (const auto& record : records) {
    rows.push_back(Flatten(record));
    for (const auto& cell : rows.back()) {
      if (std::find(grid.columns.begin(), grid.columns.end(), cell.column) != grid.columns.end()) continue;
      // A column first seen in a later row joins its group (params_y next to
      // params_x, not after the user attributes).
      auto last = std::find(groups.rbegin(), groups.rend(), cell.group);
      size_t at = last == groups.rend() ? groups.size() : groups.rend() - last;
      grid.columns.insert(grid.columns.begin() + at, cell.column);
      groups.insert(groups.begin() + at, cell.group);
    }
  }
  for (const auto& row : rows) {
    std::map<std::string, const nlohmann::ordered_json*> by_column;
    for (const auto& cell : row) by_column[cell.column] = &cell.value;
    std::vector<std::pair<std::string, bool>> cells;
    for (const auto& column : grid.columns) {
      auto it = by_column.find(column);
      if (it == by_column.end()) cells.emplace_back("", false);
      else cells.emplace_back(CellText(*it->second, readable), it->second->is_number());
    }
    grid.cells.push_back(std::move(cells));
  }
  return grid;
}

// A cell as a terminal shows it: control characters (a newline or an escape
// sequence in a parameter's name or value) escaped, so that each row is one line.
std::string Shown(const std::string& text) { return PrintableExcerpt(text, text.size()); }

// Characters, not bytes: a UTF-8 name (é) takes one column.
size_t Columns(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string RenderTable(Grid grid) {
  for (auto& column : grid.columns) column = Shown(column);
  for (auto& row : grid.cells)
    for (auto& cell : row) cell.first = Shown(cell.first);
  std::vector<size_t> widths;
  for (size_t c = 0; c < grid.columns.size(); ++c) {
    size_t w = Columns(grid.columns[c]);
    for (const auto& row : grid.cells) w = std::max(w, Columns(row[c].first));
    widths.push_back(w);
  }
  std::string rule = "+";
  for (size_t w : widths) rule += std::string(w + 2, '-') + "+";
  rule += "\n";
  auto line = [&](const std::vector<std::pair<std::string, bool>>& cells) {
    std::string out = "|";
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string pad(widths[c] - Columns(cells[c].first), ' ');
      out += " " + (cells[c].second ? pad + cells[c].first : cells[c].first + pad) + " |";
    }
    return out + "\n";
  };
  std::vector<std::pair<std::string, bool>> header;
  for (const auto& column : grid.columns) header.emplace_back(column, false);
  std::string out = rule + line(header) + rule;
  for (const auto& row : grid.cells) out += line(row);
  return out + rule;
}

std::string RenderCsv(const Grid& grid) {
  std::string out;
  for (size_t c = 0; c < grid.columns.size(); ++c)
    out += (c ? "," : "") + CsvQuote(grid.columns[c]);
  out += "\n";
  for (const auto& row : grid.cells) {
    for (size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + CsvQuote(row[c].first);
    out += "\n";
  }
  return out;
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  return Error::BadInput("--format must be table, json or csv, got '" + name + "'");
}

std::string RenderRecords(const std::vector<nlohmann::ordered_json>& records, OutputFormat format,
                          bool single) {
  switch (format) {
    case OutputFormat::kJson: {
      if (single) return (records.empty() ? std::string("null") : DumpJson(records.front())) + "\n";
      nlohmann::ordered_json array = nlohmann::ordered_json::array();
      for (const auto& r : records) array.push_back(r);
      return DumpJson(array) + "\n";
    }
    case OutputFormat::kCsv: return RenderCsv(ToGrid(records, false));
    case OutputFormat::kTable: break;
  }
  return records.empty() ? std::string() : RenderTable(ToGrid(records, true));
}

}  // namespace knob
