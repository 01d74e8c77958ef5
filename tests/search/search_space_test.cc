#include <doctest/doctest.h>

#include "search/search_space.h"

namespace knob {

TEST_CASE("the search space of DESIGN.md parses") {
  auto space = ParseSearchSpaceText(R"({
    "lr":        {"type": "float", "low": 1e-5, "high": 1e-1, "log": true},
    "dropout":   {"type": "float", "low": 0.0, "high": 0.5, "step": 0.05},
    "layers":    {"type": "int", "low": 1, "high": 4},
    "batch":     {"type": "int", "low": 16, "high": 512, "log": true},
    "optimizer": {"type": "categorical", "choices": ["adamw", "sgd"]}})");
  REQUIRE(space.ok());
  CHECK(space->size() == 5);
  CHECK(std::get<FloatDistribution>(space->at("lr")).log);
  CHECK(*std::get<FloatDistribution>(space->at("dropout")).step == 0.05);
  CHECK(std::get<IntDistribution>(space->at("batch")).high == 512);
  // The JSON form round-trips.
  auto again = ParseSearchSpace(SearchSpaceToJson(*space));
  REQUIRE(again.ok());
  CHECK(*again == *space);
}

TEST_CASE("search-space errors are one line naming the problem") {
  CHECK(ParseSearchSpaceText("{\"lr\": {\"type\": \"float\"").error().message.rfind(
            "search space: malformed JSON at byte", 0) == 0);
  CHECK(ParseSearchSpaceText("[1, 2]").error().message ==
        "search space must be a JSON object of parameters, got [1,2]");
  CHECK(ParseSearchSpaceText(R"({"x": {"type": "float", "low": 3, "high": 1}})").error().message ==
        "parameter 'x': low 3 is greater than high 1");
  CHECK(ParseSearchSpaceText(R"({"x": 5})").error().kind == ErrorKind::kBadInput);
}

}  // namespace knob
