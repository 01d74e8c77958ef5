// CRC-32C (Castagnoli) and TensorFlow's masked form, which frame every record of
// a TensorBoard event file. Used by the event-file writer and its tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace knob {

uint32_t Crc32c(const void* data, size_t size);
// ((crc >> 15) | (crc << 17)) + 0xa282ead8
uint32_t MaskedCrc32c(const void* data, size_t size);

}  // namespace knob
