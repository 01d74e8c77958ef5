// TensorBoard event files: read back with a reader written here (record framing,
// masked CRC-32C, the protobuf fields of a scalar), the values equal those logged.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "test_support.h"
#include "trainer/crc32c.h"
#include "trainer/event_file_reader.h"
#include "trainer/event_file_writer.h"

namespace knob {

TEST_CASE("crc32c: the standard check value and TensorFlow's mask") {
  CHECK(Crc32c("123456789", 9) == 0xE3069283u);
  const char zeros[8] = {};
  CHECK(MaskedCrc32c(zeros, 8) == 0x07980329u);
}

TEST_CASE("event files: a header, then scalars that read back exactly") {
  testing::TempDir dir;
  auto writer = EventFileWriter::Create(dir.File("runs/trial-1"));
  REQUIRE(writer.ok());
  const std::string path = (*writer)->path();
  CHECK(std::filesystem::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
  struct Logged { std::string tag; int64_t step; float value; };
  std::vector<Logged> logged = {{"train/loss", 10, 0.5f}, {"train/learning_rate", 10, 3e-4f},
                                {"eval/accuracy", 200, 0.8931f}, {"train/loss", 300, 1e30f}};
  for (const auto& l : logged) REQUIRE((*writer)->AddScalar(l.tag, l.step, l.value, 1700000000.25).ok());
  // Each record is flushed as written: the file is complete while the writer lives.
  std::vector<testing::ReadEvent> events = testing::ReadEventFile(path);
  REQUIRE(events.size() == logged.size() + 1);
  CHECK(events[0].file_version == "brain.Event:2");
  for (size_t k = 0; k < logged.size(); ++k) {
    CHECK(events[k + 1].tag == logged[k].tag);
    CHECK(events[k + 1].step == logged[k].step);
    CHECK(events[k + 1].value == logged[k].value);
    CHECK(events[k + 1].wall_time == 1700000000.25);
  }
  // The reference's worked example, byte for byte.
  std::string example = EncodeScalarEvent("train/loss", 10, 0.5f, 1700000000.0);
  const unsigned char expected_tail[] = {0x10, 0x0a, 0x2a, 0x13, 0x0a, 0x11, 0x0a, 0x0a, 't', 'r', 'a', 'i', 'n',
                                         '/', 'l', 'o', 's', 's', 0x15, 0x00, 0x00, 0x00, 0x3f};
  REQUIRE(example.size() == 9 + sizeof expected_tail);
  CHECK(example[0] == 0x09);
  CHECK(std::memcmp(example.data() + 9, expected_tail, sizeof expected_tail) == 0);
}

}  // namespace knob
