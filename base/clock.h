// Wall-clock timestamps in the text form Optuna 3.1 stores (naive local time,
// "YYYY-MM-DD HH:MM:SS.ffffff"), and the difference of two such texts.
#pragma once

#include <optional>
#include <string>

namespace knob {

std::string NowText();

// Seconds from `start` to `end`, or nothing when either is empty or unreadable.
std::optional<double> SecondsBetween(const std::string& start, const std::string& end);

// "H:MM:SS.ffffff", the way Python prints a timedelta.
std::string DurationText(double seconds);

}  // namespace knob
