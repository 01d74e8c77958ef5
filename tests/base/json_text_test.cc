#include <doctest/doctest.h>

#include <cmath>

#include "base/input_reader.h"
#include "base/json_text.h"

namespace knob {

TEST_CASE("Python's NaN and Infinity tokens parse, outside strings only") {
  auto parsed = ParseJsonText("x", R"({"a": NaN, "b": Infinity, "c": -Infinity, "d": "NaN Infinity", "e": [1, -Infinity]})");
  REQUIRE(parsed.ok());
  CHECK(std::isnan((*parsed)["a"].get<double>()));
  CHECK((*parsed)["b"].get<double>() == INFINITY);
  CHECK((*parsed)["c"].get<double>() == -INFINITY);
  CHECK((*parsed)["d"] == "NaN Infinity");
  CHECK((*parsed)["e"][1].get<double>() == -INFINITY);
}

TEST_CASE("non-finite numbers dump as Python does") {
  nlohmann::json j = {{"v", INFINITY}, {"w", -INFINITY}, {"n", NAN}, {"f", 0.1}, {"s", "x"}};
  CHECK(DumpJson(j) == R"({"f":0.1,"n":NaN,"s":"x","v":Infinity,"w":-Infinity})");
  auto back = ParseJsonText("x", DumpJson(j));
  REQUIRE(back.ok());
  CHECK((*back)["v"].get<double>() == INFINITY);
}

TEST_CASE("malformed JSON is bad input naming what was parsed") {
  auto parsed = ParseJsonText("--params", "{\"a\": }");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::kBadInput);
  CHECK(parsed.error().message.rfind("--params: malformed JSON at byte", 0) == 0);
}

}  // namespace knob
