// TensorBoard event files: read back with a reader written here (record framing,
// masked CRC-32C, the protobuf fields of a scalar), the values equal those logged.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <fstream>
#include <sstream>
#include <vector>

#include "test_support.h"
#include "trainer/crc32c.h"
#include "trainer/event_file_writer.h"

namespace knob {
namespace {

struct ReadEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version, tag;
  float value = 0;
};

uint64_t Varint(const std::string& s, size_t& i) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t byte = static_cast<uint8_t>(s.at(i++));
    v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return v;
  }
}

template <class T>
T Fixed(const std::string& s, size_t& i) {
  T v;
  std::memcpy(&v, s.data() + i, sizeof v);
  i += sizeof v;
  return v;
}

// Walks protobuf fields, calling visit(field, wire type, bytes or number).
void Fields(const std::string& message, const std::function<void(int, const std::string&, size_t&)>& visit) {
  size_t i = 0;
  while (i < message.size()) {
    uint64_t key = Varint(message, i);
    visit(static_cast<int>(key >> 3), message, i);
  }
}

ReadEvent Decode(const std::string& data) {
  ReadEvent e;
  Fields(data, [&](int field, const std::string& m, size_t& i) {
    if (field == 1) e.wall_time = Fixed<double>(m, i);
    else if (field == 2) e.step = static_cast<int64_t>(Varint(m, i));
    else if (field == 3) { size_t n = Varint(m, i); e.file_version = m.substr(i, n); i += n; }
    else if (field == 5) {
      size_t n = Varint(m, i);
      std::string summary = m.substr(i, n);
      i += n;
      Fields(summary, [&](int, const std::string& sm, size_t& j) {
        size_t vn = Varint(sm, j);
        std::string value = sm.substr(j, vn);
        j += vn;
        Fields(value, [&](int vf, const std::string& vm, size_t& k) {
          if (vf == 1) { size_t tn = Varint(vm, k); e.tag = vm.substr(k, tn); k += tn; }
          else if (vf == 2) e.value = Fixed<float>(vm, k);
          else FAIL("unexpected field in Value");
        });
      });
    } else {
      FAIL("unexpected field in Event");
    }
  });
  return e;
}

std::vector<ReadEvent> ReadEventFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  std::vector<ReadEvent> events;
  size_t i = 0;
  while (i < bytes.size()) {
    REQUIRE(i + 12 <= bytes.size());
    uint64_t length = Fixed<uint64_t>(bytes, i);
    uint32_t length_crc = Fixed<uint32_t>(bytes, i);
    CHECK(length_crc == MaskedCrc32c(bytes.data() + i - 12, 8));
    std::string data = bytes.substr(i, length);
    i += length;
    uint32_t data_crc = Fixed<uint32_t>(bytes, i);
    CHECK(data_crc == MaskedCrc32c(data.data(), data.size()));
    events.push_back(Decode(data));
  }
  return events;
}

}  // namespace

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
  std::vector<ReadEvent> events = ReadEventFile(path);
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
