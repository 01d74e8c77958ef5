// UTF-8 validity, for every text that reaches knob from outside (files, arguments,
// trainer messages) before it is stored or written as JSON: nlohmann's dump throws
// on invalid UTF-8, and a database of bad text cannot be read back by Optuna.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace knob {

// The byte offset of the first byte that does not start a well-formed UTF-8
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// ill-formed); nullopt when the whole text is valid.
std::optional<size_t> FirstInvalidUtf8(std::string_view text);

}  // namespace knob
