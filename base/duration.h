// Durations as people write them in study files and on the command line: "90s",
// "10m", "2h", "1h30m", "1.5h", "250ms" or a bare number of seconds; and back to
// short text for progress lines ("1h02m", "3m20s", "4.2s").
#pragma once

#include <string>

#include "base/result.h"

namespace knob {

// The longest duration knob takes (1000 days): longer ones would overflow the
// clocks' arithmetic (steady_clock nanoseconds) and are never meant.
constexpr double kMaxDurationSeconds = 1000.0 * 86400;

// Seconds, > 0 and at most kMaxDurationSeconds. Bad input names `what` (e.g.
// "trainer.timeout").
Result<double> ParseDuration(const std::string& what, const std::string& text);
// The same checks for a duration given as a number of seconds.
Result<double> CheckDuration(const std::string& what, double seconds);
std::string ShortDuration(double seconds);

}  // namespace knob
