#include "base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace knob {
namespace {

std::optional<double> ParseEpochSeconds(const std::string& text) {
  std::tm tm{};
  int micros = 0;
  int year, month, day, hour, minute, second;
  int n = std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d.%d", &year, &month, &day, &hour, &minute,
                      &second, &micros);
  if (n < 6) return std::nullopt;
  if (n == 7) {
    // Normalise the fraction to microseconds whatever its number of digits.
    auto dot = text.find('.');
    size_t digits = text.size() - dot - 1;
    for (; digits < 6; ++digits) micros *= 10;
    for (; digits > 6; --digits) micros /= 10;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<double>(timegm(&tm)) + micros * 1e-6;
}

}  // namespace

std::string NowText() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", local.tm_year + 1900,
                local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<long long>(micros));
  return buffer;
}

std::optional<double> SecondsBetween(const std::string& start, const std::string& end) {
  auto a = ParseEpochSeconds(start);
  auto b = ParseEpochSeconds(end);
  if (!a || !b) return std::nullopt;
  return *b - *a;
}

std::string DurationText(double seconds) {
  if (seconds < 0) seconds = 0;
  auto total_micros = static_cast<long long>(seconds * 1e6 + 0.5);
  long long h = total_micros / 3600000000LL;
  long long m = total_micros / 60000000LL % 60;
  long long s = total_micros / 1000000LL % 60;
  long long us = total_micros % 1000000LL;
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld.%06lld", h, m, s, us);
  return buffer;
}

}  // namespace knob
