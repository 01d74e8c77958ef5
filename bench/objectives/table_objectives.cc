// The tabular HPO benchmarks of shared/hpo-tables as objectives: a configuration's
// value is the mean of its per-seed results, negated where the table maximises;
// ordinal parameters are ints over choice indices, categorical ones categoricals
// (the folder's README). Family: the table's prefix (hpobench, hpolib, nasbench201).
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "objective_set.h"

namespace knob_bench {
namespace {

struct Table {
  std::vector<int> radix;              // choices per parameter, sorted-name order
  std::vector<int> column_of_sorted;   // the CSV column of each sorted parameter
  std::unordered_map<uint64_t, double> values;
};

uint64_t Key(const std::vector<int>& radix, const std::vector<int>& index) {
  uint64_t key = 0;
  for (size_t i = 0; i < radix.size(); ++i) key = key * radix[i] + index[i];
  return key;
}

bool ReadGzipLines(const std::string& path, std::vector<std::string>* lines) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return false;
  std::string text;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, n);
  gzclose(file);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines->push_back(line);
  return true;
}

}  // namespace

std::vector<Objective> TableObjectives(const std::string& folder) {
  std::vector<Objective> all;
  if (folder.empty()) return all;
  std::ifstream spaces_file(folder + "/spaces.json");
  if (!spaces_file) {
    std::fprintf(stderr, "knob_bench_objectives: no spaces.json in %s\n", folder.c_str());
    return all;
  }
  nlohmann::json spaces = nlohmann::json::parse(spaces_file);
  for (const auto& [name, table_spec] : spaces.items()) {
    std::vector<std::string> lines;
    if (!ReadGzipLines(folder + "/" + name + ".csv.gz", &lines) || lines.size() < 2) {
      std::fprintf(stderr, "knob_bench_objectives: cannot read %s.csv.gz\n", name.c_str());
      continue;
    }
    const nlohmann::json& params = table_spec["params"];
    std::vector<std::string> file_order;
    for (const auto& [param, spec] : params.items()) file_order.push_back(param);  // nlohmann sorts keys
    auto table = std::make_shared<Table>();
    nlohmann::json space = nlohmann::json::object();
    // The CSV header gives the file's column order.
    std::vector<std::string> header;
    {
      std::stringstream h(lines[0]);
      for (std::string cell; std::getline(h, cell, ',');) header.push_back(cell);
    }
    for (const auto& param : file_order) {
      const auto& spec = params[param];
      int choices = static_cast<int>(spec["choices"].size());
      table->radix.push_back(choices);
      table->column_of_sorted.push_back(static_cast<int>(std::find(header.begin(), header.end(), param) - header.begin()));
      if (spec["kind"] == "categorical") {
        nlohmann::json names = nlohmann::json::array();
        for (const auto& c : spec["choices"]) names.push_back(c.is_string() ? c.get<std::string>() : c.dump());
        space[param] = {{"type", "categorical"}, {"choices", names}};
      } else {
        space[param] = {{"type", "int"}, {"low", 0}, {"high", choices - 1}};
      }
    }
    double sign = table_spec.value("direction", "minimize") == "maximize" ? -1 : 1;
    double optimum = INFINITY;
    size_t n_params = file_order.size();
    for (size_t row = 1; row < lines.size(); ++row) {
      std::vector<double> cells;
      std::stringstream in(lines[row]);
      for (std::string cell; std::getline(in, cell, ',');) cells.push_back(std::stod(cell));
      std::vector<int> index(n_params);
      for (size_t p = 0; p < n_params; ++p) index[p] = static_cast<int>(cells[table->column_of_sorted[p]]);
      double sum = 0;
      size_t seeds = cells.size() - n_params;
      for (size_t k = n_params; k < cells.size(); ++k) sum += cells[k];
      double value = sign * sum / seeds;
      table->values[Key(table->radix, index)] = value;
      optimum = std::min(optimum, value);
    }
    std::string family = name.substr(0, name.find('-'));
    nlohmann::json info = {{"name", name}, {"optimum", optimum}, {"holdout", true}, {"family", family},
                           {"space", space}, {"table", true}};
    all.push_back({info.dump(), [table](const double* x) {
                     std::vector<int> index(table->radix.size());
                     for (size_t p = 0; p < index.size(); ++p) index[p] = static_cast<int>(std::lround(x[p]));
                     auto it = table->values.find(Key(table->radix, index));
                     return it == table->values.end() ? INFINITY : it->second;
                   }});
  }
  return all;
}

}  // namespace knob_bench
