#include "trainer/idx_dataset.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

namespace knob {

Result<IdxArray> ReadIdxFile(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) return Error::BadInput("dataset file '" + path + "' does not exist");
  // gzread reads plain files as they are and gzipped ones decompressed.
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return Error::BadInput("cannot read dataset file '" + path + "'");
  auto fail = [&](const std::string& why) {
    gzclose(file);
    return Error::BadInput("dataset file '" + path + "' " + why);
  };
  unsigned char magic[4];
  if (gzread(file, magic, 4) != 4 || magic[0] != 0 || magic[1] != 0) return fail("is not an IDX file");
  if (magic[2] != 0x08) return fail("does not hold unsigned bytes (IDX type 0x08)");
  IdxArray array;
  int64_t total = 1;
  for (int d = 0; d < magic[3]; ++d) {
    unsigned char be[4];
    if (gzread(file, be, 4) != 4) return fail("ends inside its header");
    int64_t size = (int64_t{be[0]} << 24) | (int64_t{be[1]} << 16) | (int64_t{be[2]} << 8) | be[3];
    array.dims.push_back(size);
    total *= size;
  }
  array.values.resize(total);
  int64_t done = 0;
  while (done < total) {
    int chunk = static_cast<int>(std::min<int64_t>(total - done, 1 << 30));
    int n = gzread(file, array.values.data() + done, chunk);
    if (n <= 0) return fail("is shorter than its header says (" + std::to_string(total) + " values)");
    done += n;
  }
  gzclose(file);
  return array;
}

namespace {

// `name` or `name.gz` in `dir`, whichever exists.
std::string FindIdx(const std::string& dir, const std::string& name) {
  std::string plain = (std::filesystem::path(dir) / name).string();
  return std::filesystem::exists(plain + ".gz") ? plain + ".gz" : plain;
}

}  // namespace

Result<ImageSet> LoadIdxImageSet(const std::string& dir, const std::string& split) {
  if (!std::filesystem::is_directory(dir))
    return Error::BadInput("dataset folder '" + dir + "' does not exist");
  KNOB_ASSIGN_OR_RETURN(IdxArray images, ReadIdxFile(FindIdx(dir, split + "-images-idx3-ubyte")));
  KNOB_ASSIGN_OR_RETURN(IdxArray labels, ReadIdxFile(FindIdx(dir, split + "-labels-idx1-ubyte")));
  if (images.dims.size() != 3 || labels.dims.size() != 1 || images.dims[0] != labels.dims[0])
    return Error::BadInput("dataset folder '" + dir + "': " + split + " images and labels do not match");
  ImageSet set;
  set.count = images.dims[0];
  set.rows = static_cast<int>(images.dims[1]);
  set.cols = static_cast<int>(images.dims[2]);
  set.pixels = std::move(images.values);
  set.labels.assign(labels.values.begin(), labels.values.end());
  for (int64_t label : set.labels) set.num_classes = std::max(set.num_classes, static_cast<int>(label) + 1);
  return set;
}

SplitIndices SplitTrainValidation(int64_t count, int64_t validation_size, uint64_t seed) {
  std::vector<int64_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  // Fisher-Yates with the engine's raw output, so the split is the same on every
  // standard library (std::shuffle's use of the engine is unspecified).
  for (int64_t i = count - 1; i > 0; --i) std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
  validation_size = std::clamp<int64_t>(validation_size, 0, count);
  SplitIndices split;
  split.validation.assign(order.begin(), order.begin() + validation_size);
  split.train.assign(order.begin() + validation_size, order.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

}  // namespace knob
