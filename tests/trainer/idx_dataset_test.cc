// IDX files: written here (plain and gzipped) and read back; Fashion-MNIST as
// Debian ships it; a seeded split.
#include <doctest/doctest.h>

#include <zlib.h>

#include <fstream>
#include <set>

#include "test_support.h"
#include "trainer/idx_dataset.h"

namespace knob {
namespace {

std::string IdxBytes(const std::vector<int64_t>& dims, const std::vector<uint8_t>& values) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (int64_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xFF);
  bytes.append(values.begin(), values.end());
  return bytes;
}

void WritePlain(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

}  // namespace

TEST_CASE("idx: images and labels read back, gzipped or not; bad files are one line") {
  testing::TempDir dir;
  std::vector<uint8_t> pixels;
  for (int i = 0; i < 3 * 2 * 2; ++i) pixels.push_back(static_cast<uint8_t>(i * 20));
  WriteGzip(dir.File("train-images-idx3-ubyte.gz"), IdxBytes({3, 2, 2}, pixels));
  WritePlain(dir.File("train-labels-idx1-ubyte"), IdxBytes({3}, {2, 0, 4}));
  auto set = LoadIdxImageSet(dir.path().string(), "train");
  REQUIRE(set.ok());
  CHECK(set->count == 3);
  CHECK(set->rows == 2);
  CHECK(set->cols == 2);
  CHECK(set->pixels == pixels);
  CHECK(set->labels == std::vector<int64_t>{2, 0, 4});
  CHECK(set->num_classes == 5);

  WritePlain(dir.File("short"), IdxBytes({10}, {1, 2}));
  CHECK(ReadIdxFile(dir.File("short")).error().message ==
        "dataset file '" + dir.File("short") + "' is shorter than its header says (10 values)");
  WritePlain(dir.File("text"), "hello world");
  CHECK(ReadIdxFile(dir.File("text")).error().message == "dataset file '" + dir.File("text") + "' is not an IDX file");
  CHECK(LoadIdxImageSet(dir.File("nowhere"), "train").error().message ==
        "dataset folder '" + dir.File("nowhere") + "' does not exist");
  WritePlain(dir.File("t10k-images-idx3-ubyte"), IdxBytes({2, 2, 2}, std::vector<uint8_t>(8)));
  WritePlain(dir.File("t10k-labels-idx1-ubyte"), IdxBytes({3}, {1, 1, 1}));
  CHECK(LoadIdxImageSet(dir.path().string(), "t10k").error().message ==
        "dataset folder '" + dir.path().string() + "': t10k images and labels do not match");
}

TEST_CASE("idx: Fashion-MNIST from Debian's dataset-fashion-mnist package") {
  auto train = LoadIdxImageSet(kFashionMnistDir, "train");
  REQUIRE_MESSAGE(train.ok(), "install dataset-fashion-mnist (scripts/install_deps.sh does)");
  CHECK(train->count == 60000);
  CHECK(train->rows == 28);
  CHECK(train->cols == 28);
  CHECK(train->num_classes == 10);
  std::vector<int> per_class(10);
  for (int64_t label : train->labels) per_class[label]++;
  for (int n : per_class) CHECK(n == 6000);  // the dataset is balanced
  auto test = LoadIdxImageSet(kFashionMnistDir, "t10k");
  REQUIRE(test.ok());
  CHECK(test->count == 10000);
}

TEST_CASE("idx: a seeded train/validation split") {
  SplitIndices a = SplitTrainValidation(1000, 100, 7), b = SplitTrainValidation(1000, 100, 7);
  CHECK(a.validation == b.validation);
  CHECK(a.validation.size() == 100);
  CHECK(a.train.size() == 900);
  std::set<int64_t> all(a.train.begin(), a.train.end());
  all.insert(a.validation.begin(), a.validation.end());
  CHECK(all.size() == 1000);
  CHECK(SplitTrainValidation(1000, 100, 8).validation != a.validation);
}

}  // namespace knob
