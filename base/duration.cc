#include "base/duration.h"

#include <cctype>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/json_text.h"

namespace knob {

Result<double> ParseDuration(const std::string& what, const std::string& text) {
  auto bad = [&] {
    return Error::BadInput(what + ": expected a duration such as 90s, 10m, 2h or 1h30m, got '" +
                           text + "'");
  };
  if (text.empty()) return bad();
  double total = 0;
  const char* p = text.c_str();
  bool any = false;
  while (*p) {
    char* end = nullptr;
    if (!std::isdigit(static_cast<unsigned char>(*p)) && *p != '.') return bad();
    double amount = std::strtod(p, &end);
    if (end == p || !std::isfinite(amount) || amount < 0) return bad();
    p = end;
    double unit = 1;
    if (p[0] == 'm' && p[1] == 's') unit = 0.001, p += 2;
    else if (*p == 's') unit = 1, ++p;
    else if (*p == 'm') unit = 60, ++p;
    else if (*p == 'h') unit = 3600, ++p;
    else if (*p == 'd') unit = 86400, ++p;
    else if (*p != '\0' || any) return bad();  // only a lone number may go without a unit
    total += amount * unit;
    any = true;
  }
  if (!(total > 0)) return Error::BadInput(what + ": a duration must be > 0, got '" + text + "'");
  if (total > kMaxDurationSeconds)
    return Error::BadInput(what + ": a duration must be at most 1000 days, got '" + text + "'");
  return total;
}

Result<double> CheckDuration(const std::string& what, double seconds) {
  if (!(seconds > 0)) return Error::BadInput(what + ": a duration must be > 0, got " + ShortNumber(seconds));
  if (seconds > kMaxDurationSeconds)
    return Error::BadInput(what + ": a duration must be at most 1000 days, got " + ShortNumber(seconds));
  return seconds;
}

std::string ShortDuration(double seconds) {
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof text, "%.1fs", seconds);
  } else if (seconds < 3600) {
    int s = static_cast<int>(seconds);
    std::snprintf(text, sizeof text, "%dm%02ds", s / 60, s % 60);
  } else {
    int m = static_cast<int>(seconds / 60);
    std::snprintf(text, sizeof text, "%dh%02dm", m / 60, m % 60);
  }
  return text;
}

}  // namespace knob
