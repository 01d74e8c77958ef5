// Writes TensorBoard event files (scalars only) without a protobuf dependency:
// TFRecord framing with masked CRC-32C, and the few Event/Summary protobuf fields
// a scalar needs, encoded by hand (reference/trainer.md, section 5). One file per
// process start, named events.out.tfevents.<time>.<host>.<pid>, in the run's
// folder; every record is flushed as it is written. Used by knob-train; Torch-free.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "base/result.h"

namespace knob {

class EventFileWriter {
 public:
  // Creates `dir` if needed and a new event file in it, starting with the
  // file_version record. Runtime error naming the file when it cannot.
  static Result<std::unique_ptr<EventFileWriter>> Create(const std::string& dir);
  ~EventFileWriter();

  // A scalar at `step` (HF tag names: train/loss, eval/accuracy, ...).
  Status AddScalar(const std::string& tag, int64_t step, float value, double wall_time);
  const std::string& path() const { return path_; }

 private:
  EventFileWriter(std::string path, FILE* file) : path_(std::move(path)), file_(file) {}
  Status WriteRecord(const std::string& data);

  std::string path_;
  FILE* file_;
};

// The serialized Event protobuf of one scalar (exposed for tests).
std::string EncodeScalarEvent(const std::string& tag, int64_t step, float value, double wall_time);

}  // namespace knob
