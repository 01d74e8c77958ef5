// Whole text files at knob's edges: read into a string, or written with the
// failure reported. Callers word their own messages for a file they cannot read.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"

namespace knob {

// The file's contents; nullopt when it cannot be opened.
std::optional<std::string> ReadTextFile(const std::string& path);

// Writes (replaces) the file; a runtime error "cannot write PATH" on failure.
Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace knob
