#include "trainer/event_file_reader.h"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "trainer/crc32c.h"

namespace knob::testing {
namespace {

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

}  // namespace

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


}  // namespace knob::testing
