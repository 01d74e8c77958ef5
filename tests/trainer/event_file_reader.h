// A TensorBoard event file reader written for the tests, independent of the
// writer: record framing, masked CRC-32C of length and data (checked with doctest
// assertions), and the protobuf fields of Event / Summary / Value (scalars).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace knob::testing {

struct ReadEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version, tag;
  float value = 0;
};

std::vector<ReadEvent> ReadEventFile(const std::string& path);

}  // namespace knob::testing
