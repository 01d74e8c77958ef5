#include "trainer/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "base/json_text.h"
#include "base/value_reader.h"
#include "trainer/csv_table.h"
#include "trainer/idx_dataset.h"

namespace knob {
namespace {

Status ReadAugment(const nlohmann::json& v, AugmentSpec* out) {
  if (!v.is_object()) return ExpectedValue("dataset.augment", "an object like {\"horizontal_flip\": true, \"max_shift\": 2}", v);
  for (const auto& [key, value] : v.items()) {
    if (key == "horizontal_flip") {
      KNOB_RETURN_IF_ERROR(ReadBool("dataset.augment.horizontal_flip", value, &out->horizontal_flip));
    } else if (key == "max_shift") {
      KNOB_RETURN_IF_ERROR(ReadInt("dataset.augment.max_shift", value, 0, &out->max_shift));
    } else {
      return Error::BadInput("unknown key 'dataset.augment." + key + "'");
    }
  }
  return {};
}

std::vector<int64_t> FirstN(int64_t count, std::optional<int64_t> limit) {
  std::vector<int64_t> all(static_cast<size_t>(limit ? std::min(count, *limit) : count));
  std::iota(all.begin(), all.end(), 0);
  return all;
}

// Raw (unnormalised) examples of one source, before the split: a table's floats,
// or an image set's bytes (scaled to [0, 1] as they are picked, so the whole set
// is never converted and then copied again).
struct RawSet {
  std::vector<float> features;  // CSV
  std::vector<uint8_t> pixels;  // IDX
  std::vector<int64_t> labels;
  int64_t count = 0;
};

RawSet FromImages(ImageSet images) {
  return RawSet{{}, std::move(images.pixels), std::move(images.labels), images.count};
}

Examples Pick(const RawSet& raw, int64_t dim, const std::vector<int64_t>& indices) {
  Examples e;
  e.count = static_cast<int64_t>(indices.size());
  e.features.resize(e.count * dim);
  e.labels.resize(e.count);
  for (int64_t i = 0; i < e.count; ++i) {
    const int64_t from = indices[i] * dim;
    float* out = e.features.data() + i * dim;
    if (raw.pixels.empty()) std::copy_n(raw.features.begin() + from, dim, out);
    else
      for (int64_t k = 0; k < dim; ++k) out[k] = raw.pixels[from + k] / 255.0f;
    e.labels[i] = raw.labels[indices[i]];
  }
  return e;
}

// Mean and deviation over everything (`per_column` false) or per column.
void Normalise(Dataset& d, bool per_column) {
  const int64_t dim = d.dim(), columns = per_column ? dim : 1;
  std::vector<double> sum(dim), sum_sq(dim);
  for (int64_t row = 0; row < d.train.count; ++row) {
    const float* x = d.train.features.data() + row * dim;
    for (int64_t k = 0; k < dim; ++k) sum[k] += x[k], sum_sq[k] += double{x[k]} * x[k];
  }
  if (!per_column) {
    sum[0] = std::accumulate(sum.begin(), sum.end(), 0.0);
    sum_sq[0] = std::accumulate(sum_sq.begin(), sum_sq.end(), 0.0);
  }
  const double n = static_cast<double>(d.train.count) * (dim / columns);
  std::vector<float> mean(dim), scale(dim);
  for (int64_t k = 0; k < dim; ++k) {
    int64_t c = per_column ? k : 0;
    double m = sum[c] / n, var = std::max(0.0, sum_sq[c] / n - m * m);
    mean[k] = static_cast<float>(m);
    scale[k] = var > 1e-12 ? static_cast<float>(1 / std::sqrt(var)) : 1.0f;
  }
  auto apply = [&](Examples& e) {
    for (int64_t row = 0; row < e.count; ++row) {
      float* x = e.features.data() + row * dim;
      for (int64_t k = 0; k < dim; ++k) x[k] = (x[k] - mean[k]) * scale[k];
    }
  };
  apply(d.train);
  apply(d.validation);
  if (d.test) apply(*d.test);
}

}  // namespace

Result<DataSpec> ParseDataSpec(const nlohmann::json& section) {
  DataSpec spec;
  if (!section.is_object()) return Error::BadInput("dataset: expected an object, got " + DumpJson(section));
  for (const auto& [key, v] : section.items()) {
    if (key == "name") {
      KNOB_RETURN_IF_ERROR(ReadChoice("dataset.name", v, {"fashion-mnist", "mnist", "idx", "csv"}, &spec.name));
    } else if (key == "path" || key == "train_file" || key == "test_file" || key == "label_column") {
      if (!v.is_string() || v.get<std::string>().empty()) return ExpectedValue("dataset." + key, "a non-empty string", v);
      (key == "path" ? spec.path : key == "train_file" ? spec.train_file
                                : key == "test_file" ? spec.test_file : spec.label_column) = v.get<std::string>();
    } else if (key == "validation_size") {
      KNOB_RETURN_IF_ERROR(ReadInt("dataset.validation_size", v, 1, &spec.validation_size));
    } else if (key == "augment") {
      KNOB_RETURN_IF_ERROR(ReadAugment(v, &spec.augment));
    } else if (key == "resident") {
      KNOB_RETURN_IF_ERROR(ReadBool("dataset.resident", v, &spec.resident));
    } else {
      return Error::BadInput("unknown key 'dataset." + key + "'");
    }
  }
  if (spec.name == "csv") {
    if (spec.train_file.empty()) return Error::BadInput("dataset.train_file: a csv dataset needs its training table");
    if (!spec.path.empty()) return Error::BadInput("dataset.path: for IDX folders; a csv dataset has train_file");
    if (spec.augment.any()) return Error::BadInput("dataset.augment: only for image datasets, not csv");
  } else {
    if (!spec.train_file.empty() || !spec.test_file.empty() || section.contains("label_column"))
      return Error::BadInput("dataset.train_file/test_file/label_column: only for name csv");
    if (spec.path.empty()) {
      if (spec.name != "fashion-mnist") return Error::BadInput("dataset.path: name " + spec.name + " needs its IDX folder");
      spec.path = kFashionMnistDir;
    }
  }
  return spec;
}

Result<Dataset> LoadDataset(const DataSpec& spec, uint64_t seed, std::optional<int64_t> max_train_samples,
                            std::optional<int64_t> max_eval_samples) {
  Dataset d;
  RawSet train_raw;
  std::optional<RawSet> test_raw;
  if (spec.name == "csv") {
    KNOB_ASSIGN_OR_RETURN(CsvTable table, ReadCsvTable(spec.train_file, spec.label_column));
    auto train_classes = LabelsToClasses(table.labels, {});
    if (!train_classes.ok()) return Error::BadInput(spec.train_file + ": " + train_classes.error().message);
    LabelClasses classes = std::move(*train_classes);
    d.width = static_cast<int64_t>(table.feature_names.size());
    d.num_classes = classes.num_classes;
    train_raw = {std::move(table.features), {}, std::move(classes.indices), static_cast<int64_t>(table.labels.size())};
    if (!spec.test_file.empty()) {
      KNOB_ASSIGN_OR_RETURN(CsvTable test, ReadCsvTable(spec.test_file, spec.label_column));
      if (test.feature_names != table.feature_names)
        return Error::BadInput(spec.test_file + ": its columns differ from the training table's");
      auto test_classes = LabelsToClasses(test.labels, classes.classes);
      if (!test_classes.ok()) return Error::BadInput(spec.test_file + ": " + test_classes.error().message);
      test_raw = RawSet{std::move(test.features), {}, std::move(test_classes->indices),
                        static_cast<int64_t>(test.labels.size())};
    }
  } else {
    KNOB_ASSIGN_OR_RETURN(ImageSet train_images, LoadIdxImageSet(spec.path, "train"));
    d.height = train_images.rows, d.width = train_images.cols;
    d.num_classes = train_images.num_classes;
    train_raw = FromImages(std::move(train_images));
    auto test_images = LoadIdxImageSet(spec.path, "t10k");
    if (test_images.ok()) {
      if (test_images->rows != d.height || test_images->cols != d.width)
        return Error::BadInput("dataset folder '" + spec.path + "': t10k images differ in size from train");
      test_raw = FromImages(std::move(*test_images));
    }
  }
  if (d.num_classes < 2) return Error::BadInput("dataset: the training examples have fewer than 2 classes");
  if (spec.validation_size >= train_raw.count)
    return Error::BadInput("dataset.validation_size: must be below the " + std::to_string(train_raw.count) +
                           " training examples");
  SplitIndices split = SplitTrainValidation(train_raw.count, spec.validation_size, seed);
  if (max_train_samples && *max_train_samples < static_cast<int64_t>(split.train.size()))
    split.train.resize(*max_train_samples);
  if (max_eval_samples && *max_eval_samples < static_cast<int64_t>(split.validation.size()))
    split.validation.resize(*max_eval_samples);
  d.train = Pick(train_raw, d.dim(), split.train);
  d.validation = Pick(train_raw, d.dim(), split.validation);
  if (test_raw) d.test = Pick(*test_raw, d.dim(), FirstN(test_raw->count, max_eval_samples));
  for (const Examples* e : {&d.validation, d.test ? &*d.test : nullptr})
    if (e)
      for (int64_t label : e->labels)
        if (label >= d.num_classes)
          return Error::BadInput("dataset: label " + std::to_string(label) + " outside the training classes");
  Normalise(d, spec.name == "csv");
  return d;
}

std::vector<int64_t> EpochOrder(int64_t count, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1);
  for (int64_t i = count - 1; i > 0; --i) std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
  return order;
}

}  // namespace knob
