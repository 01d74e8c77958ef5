#include "base/json_field.h"

#include <doctest/doctest.h>

namespace knob {

TEST_CASE("FieldOr: the field when it is there as the type and fits, else the fallback") {
  auto stored = nlohmann::json::parse(
      R"({"pid": 42, "big": 1099511627776, "max": 18446744073709551615, "negative": -4,
          "host": "vm", "ratio": 0.5, "on": true, "float_pid": 42.0})");
  CHECK(FieldOr<int>(stored, "pid", 0) == 42);
  CHECK(FieldOr<int>(stored, "big", -1) == -1);  // 2^40 does not fit an int
  CHECK(FieldOr<int64_t>(stored, "big", -1) == 1099511627776);
  CHECK(FieldOr<unsigned long long>(stored, "max", 0) == 18446744073709551615ULL);
  CHECK(FieldOr<int64_t>(stored, "max", -1) == -1);
  CHECK(FieldOr<unsigned long long>(stored, "negative", 7) == 7);
  CHECK(FieldOr<int>(stored, "negative", 0) == -4);
  CHECK(FieldOr<int>(stored, "float_pid", 0) == 0);  // not an integer
  CHECK(FieldOr<int>(stored, "host", 0) == 0);
  CHECK(FieldOr<std::string>(stored, "pid", "none") == "none");
  CHECK(FieldOr<std::string>(stored, "host", "") == "vm");
  CHECK(FieldOr<double>(stored, "ratio", 0) == 0.5);
  CHECK(FieldOr<double>(stored, "pid", 0) == 42);
  CHECK(FieldOr<bool>(stored, "on", false));
  CHECK_FALSE(FieldOr<bool>(stored, "pid", false));
  CHECK(FieldOr<int>(stored, "missing", 3) == 3);
  for (const char* not_an_object : {"[1, 2]", "\"text\"", "7", "null"})
    CHECK(FieldOr<int>(nlohmann::json::parse(not_an_object), "pid", 3) == 3);
}

}  // namespace knob
