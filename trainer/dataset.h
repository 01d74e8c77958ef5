// The `dataset` section of a knob-train config and the examples it names, loaded
// and normalised: IDX image sets (Fashion-MNIST from Debian's package by default,
// MNIST, any IDX folder) or CSV tables with a label column; a seeded
// train/validation split; HF's max_train_samples / max_eval_samples; the
// augmentation to apply to training batches. Bad input names `dataset.KEY` or the
// file. Used by knob-train; Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

struct AugmentSpec {
  bool horizontal_flip = false;  // each training image mirrored with probability 1/2
  int64_t max_shift = 0;         // each training image moved by up to this many pixels (zero fill)
  bool any() const { return horizontal_flip || max_shift > 0; }
};

struct DataSpec {
  std::string name = "fashion-mnist";  // fashion-mnist, mnist, idx, csv
  std::string path;                    // IDX folder; default Debian's Fashion-MNIST folder
  std::string train_file, test_file;   // csv: the tables (test optional)
  std::string label_column = "label";  // csv
  int64_t validation_size = 5000;
  AugmentSpec augment;
  bool resident = true;  // CUDA: keep the whole dataset on the GPU (else pinned host batches)
};

Result<DataSpec> ParseDataSpec(const nlohmann::json& section);

// Normalised examples, row-major: count x (channels * height * width).
struct Examples {
  int64_t count = 0;
  std::vector<float> features;
  std::vector<int64_t> labels;
};

struct Dataset {
  int64_t channels = 1, height = 1, width = 1;  // a CSV table is 1 x 1 x features
  int num_classes = 0;
  Examples train, validation;
  std::optional<Examples> test;
  bool is_image() const { return height > 1 && width > 1; }
  int64_t dim() const { return channels * height * width; }
};

// Loads, splits (validation_size, seeded), truncates (max_train_samples to the
// training part; max_eval_samples to validation and test) and normalises with
// statistics of the training part (IDX: one mean and deviation over all pixels;
// CSV: per column).
Result<Dataset> LoadDataset(const DataSpec& spec, uint64_t seed, std::optional<int64_t> max_train_samples,
                            std::optional<int64_t> max_eval_samples);

// The order of the training examples in an epoch: a permutation that depends only
// on (seed, epoch), so a resumed run sees the same batches.
std::vector<int64_t> EpochOrder(int64_t count, uint64_t seed, int64_t epoch);

}  // namespace knob
