// The one reader of everything that reaches knob from outside: JSON texts (study
// files, spaces, CLI arguments, trainer messages, knob-train configs, stored
// attributes), numbers and plain strings. It bounds size and nesting depth,
// refuses numbers that overflow a double and invalid UTF-8, and names the key path
// where it stopped ("trainer message: at metrics.loss: number 1e400 is out of
// range"). It never throws: every failure is a bad-input Error. The YAML reader
// (studies/yaml_document) applies the same limits and number rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

struct InputLimits {
  size_t max_bytes = 64u << 20;  // a text longer than this is refused unread
  int max_depth = 100;           // objects and arrays nested deeper are refused
  size_t max_values = 1000000;   // values in one document (YAML aliases can multiply them)
};

// Parses `text`; errors read "<what>: ..." (malformed, too large, too deep, a number
// out of range, a key given twice in one object, invalid UTF-8), with the key path
// where there is one. Accepts the NaN, Infinity and -Infinity tokens that Python's
// json.dumps writes.
Result<nlohmann::json> ParseJsonText(const std::string& what, const std::string& text,
                                     const InputLimits& limits = {});

// "key 'k' appears twice": the one wording of that refusal, for JSON and YAML alike
// (which of the two counts would be a guess).
std::string KeyGivenTwice(std::string_view key);

// A decimal number ("1e-5", "-3", "0.5"): the whole text, finite, in range.
// Errors read "<what>: expected a number, got 'x'" or "... is out of range".
Result<double> ParseNumber(const std::string& what, std::string_view text);
// A decimal integer that fits in 64 bits.
Result<int64_t> ParseInteger(const std::string& what, std::string_view text);

// Bad input unless `text` is valid UTF-8 of at most `max_bytes`.
Status CheckText(const std::string& what, std::string_view text, size_t max_bytes = 1u << 20);

// `text` quoted for a message, cut to `max` bytes and with invalid UTF-8 and
// control characters escaped, so that a message is always one printable line.
std::string QuoteForMessage(std::string_view text, size_t max = 60);
// The same without the quotes: "{\"x\": 1, ..." (cut text ends in "...").
std::string PrintableExcerpt(std::string_view text, size_t max = 60);
// "a,b,,c" -> {"a", "b", "", "c"}: the items of a comma list as written (an empty
// text is one empty item); callers check or trim them.
std::vector<std::string> SplitCommas(std::string_view text);

}  // namespace knob
