#include "trainer/event_file_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "trainer/crc32c.h"

namespace knob {
namespace {

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

template <class T>
void PutLittleEndian(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86-64 and aarch64 are little-endian
  out.append(bytes, sizeof(T));
}

// A length-delimited field (wire type 2).
void PutBytesField(std::string& out, int field, const std::string& bytes) {
  out += static_cast<char>(field << 3 | 2);
  PutVarint(out, bytes.size());
  out += bytes;
}

std::string EncodeHeaderEvent(double wall_time) {
  std::string event;
  event += static_cast<char>(1 << 3 | 1);  // wall_time: fixed64
  PutLittleEndian(event, wall_time);
  PutBytesField(event, 3, "brain.Event:2");  // file_version
  return event;
}

}  // namespace

std::string EncodeScalarEvent(const std::string& tag, int64_t step, float value, double wall_time) {
  std::string summary_value;
  PutBytesField(summary_value, 1, tag);
  summary_value += static_cast<char>(2 << 3 | 5);  // simple_value: fixed32
  PutLittleEndian(summary_value, value);
  std::string summary;
  PutBytesField(summary, 1, summary_value);
  std::string event;
  event += static_cast<char>(1 << 3 | 1);
  PutLittleEndian(event, wall_time);
  event += static_cast<char>(2 << 3 | 0);  // step: varint
  PutVarint(event, static_cast<uint64_t>(step));
  PutBytesField(event, 5, summary);
  return event;
}

Result<std::unique_ptr<EventFileWriter>> EventFileWriter::Create(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::Runtime("cannot create TensorBoard folder '" + dir + "': " + ec.message());
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  char name[512];
  std::snprintf(name, sizeof name, "events.out.tfevents.%010ld.%s.%d", static_cast<long>(std::time(nullptr)),
                host, static_cast<int>(getpid()));
  std::string path = (std::filesystem::path(dir) / name).string();
  FILE* file = std::fopen(path.c_str(), "ab");
  if (!file) return Error::Runtime("cannot write TensorBoard file '" + path + "': " + std::strerror(errno));
  std::unique_ptr<EventFileWriter> writer(new EventFileWriter(path, file));
  KNOB_RETURN_IF_ERROR(writer->WriteRecord(EncodeHeaderEvent(static_cast<double>(std::time(nullptr)))));
  return writer;
}

EventFileWriter::~EventFileWriter() {
  if (file_) std::fclose(file_);
}

Status EventFileWriter::WriteRecord(const std::string& data) {
  std::string record;
  uint64_t length = data.size();
  PutLittleEndian(record, length);
  PutLittleEndian(record, MaskedCrc32c(record.data(), sizeof length));
  record += data;
  PutLittleEndian(record, MaskedCrc32c(data.data(), data.size()));
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0)
    return Error::Runtime("cannot write TensorBoard file '" + path_ + "': " + std::strerror(errno));
  return {};
}

Status EventFileWriter::AddScalar(const std::string& tag, int64_t step, float value, double wall_time) {
  return WriteRecord(EncodeScalarEvent(tag, step, value, wall_time));
}

}  // namespace knob
