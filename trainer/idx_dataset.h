// IDX files (MNIST, Fashion-MNIST), gzipped or not: images and their labels,
// and a seeded train/validation split. The default folder is that of Debian's
// `dataset-fashion-mnist` package. Used by knob-train (issue 5); Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace knob {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// One IDX file: its dimensions and its unsigned-byte values (type 0x08 only).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;
};

// Bad input naming the file when it is missing, not IDX, not unsigned bytes, or short.
Result<IdxArray> ReadIdxFile(const std::string& path);

struct ImageSet {
  int64_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count x rows x cols
  std::vector<int64_t> labels;  // count
  int num_classes = 0;          // 1 + the largest label
};

// `<split>-images-idx3-ubyte[.gz]` and `<split>-labels-idx1-ubyte[.gz]` in `dir`
// (split: "train" or "t10k"); bad input when they are missing or disagree.
Result<ImageSet> LoadIdxImageSet(const std::string& dir, const std::string& split);

struct SplitIndices {
  std::vector<int64_t> train, validation;
};

// A seeded shuffle of 0..count-1 cut into train and `validation_size` validation
// indices (both kept in ascending order); the same seed gives the same split.
SplitIndices SplitTrainValidation(int64_t count, int64_t validation_size, uint64_t seed);

}  // namespace knob
