#include <doctest/doctest.h>

#include "search/distribution.h"
#include "search/distribution_json.h"

using nlohmann::json;

namespace knob {
namespace {

std::string ErrorOf(const json& spec) {
  auto parsed = ParseDistribution("p", spec);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::kBadInput);
  return parsed.error().message;
}

}  // namespace

TEST_CASE("distribution validation names the parameter and the problem") {
  CHECK(ErrorOf({{"type", "float"}, {"low", 2}, {"high", 1}}) ==
        "parameter 'p': low 2 is greater than high 1");
  CHECK(ErrorOf({{"type", "float"}, {"low", 0}, {"high", 1}, {"log", true}}) ==
        "parameter 'p': log needs low > 0, got low 0");
  CHECK(ErrorOf({{"type", "float"}, {"low", 0.1}, {"high", 1}, {"log", true}, {"step", 0.1}}) ==
        "parameter 'p': log and step cannot be used together");
  CHECK(ErrorOf({{"type", "int"}, {"low", 1}, {"high", 8}, {"log", true}, {"step", 2}}) ==
        "parameter 'p': log and step cannot be used together");
  CHECK(ErrorOf({{"type", "float"}, {"low", 0}, {"high", 0.5}, {"step", 0.3}}) ==
        "parameter 'p': step 0.3 does not divide [0, 0.5]; the last step ends at 0.3");
  // More steps than a 64-bit count (or a double) holds apart: every sampler drew out of range.
  CHECK(ErrorOf({{"type", "float"}, {"low", 0}, {"high", 7.5e110}, {"step", 0.25}}) ==
        "parameter 'p': step 0.25 makes 3e+111 steps over [0, 7.5e+110]; at most 9e15");
  CHECK(ErrorOf({{"type", "int"}, {"low", 0}, {"high", 10}, {"step", 4}}) ==
        "parameter 'p': step 4 does not divide [0, 10]; the last step ends at 8");
  CHECK(ErrorOf({{"type", "int"}, {"low", 0}, {"high", 10}, {"step", 0}}) ==
        "parameter 'p': step must be a positive integer, got 0");
  CHECK(ErrorOf({{"type", "categorical"}, {"choices", json::array()}}) ==
        "parameter 'p': choices is empty");
  CHECK(ErrorOf({{"type", "categorical"}, {"choices", {"a", "b", "a"}}}) ==
        "parameter 'p': choice \"a\" appears more than once");
  CHECK(ErrorOf({{"type", "categorical"}, {"choices", {1, 1.0}}}) ==
        "parameter 'p': choice 1.0 appears more than once");
  CHECK(ErrorOf({{"type", "categorical"}, {"choices", {json::array()}}}) ==
        "parameter 'p': choice [] is not a string, number, bool or null");
  CHECK(ErrorOf({{"type", "uniform"}, {"low", 0}, {"high", 1}}) ==
        "parameter 'p': 'type' must be float, int or categorical, got \"uniform\"");
  CHECK(ErrorOf({{"type", "float"}, {"low", 0}, {"high", 1}, {"lgo", true}}) ==
        "parameter 'p': 'lgo' is not a known key");
  CHECK(ErrorOf({{"type", "float"}, {"high", 1}}) == "parameter 'p': 'low' is missing");
  CHECK(ErrorOf({{"type", "int"}, {"low", 0.5}, {"high", 1}}) ==
        "parameter 'p': 'low' must be an integer, got 0.5");
  CHECK(ErrorOf({{"type", "float"}, {"low", "0"}, {"high", 1}}) ==
        "parameter 'p': 'low' must be a number, got \"0\"");
  CHECK(ErrorOf({{"low", 0}}) == "parameter 'p': 'type' is missing");
}

TEST_CASE("valid distributions parse, including edge cases Optuna accepts") {
  CHECK(ParseDistribution("p", {{"type", "float"}, {"low", 0}, {"high", 0.5}, {"step", 0.05}}).ok());
  CHECK(ParseDistribution("p", {{"type", "float"}, {"low", 1}, {"high", 1}}).ok());
  CHECK(ParseDistribution("p", {{"type", "int"}, {"low", 16}, {"high", 512}, {"log", true}}).ok());
  CHECK(ParseDistribution("p", {{"type", "categorical"},
                                {"choices", {"a", 1, 2.5, nullptr, true}}}).ok());
  // true and 1 are different choices (Optuna's index() confuses them; knob does not).
  auto c = ParseDistribution("p", {{"type", "categorical"}, {"choices", {1, true}}});
  REQUIRE(c.ok());
  CHECK(*ToInternal("p", *c, true) == 1.0);
  CHECK(*ToInternal("p", *c, 1) == 0.0);
}

TEST_CASE("internal and external values convert both ways") {
  Distribution cat = CategoricalDistribution{{"adamw", "sgd", nullptr}};
  CHECK(ToExternal(cat, 1.0) == "sgd");
  CHECK(ToExternal(cat, 2.0).is_null());
  CHECK(*ToInternal("opt", cat, nullptr) == 2.0);
  CHECK(ToInternal("opt", cat, "adam").error().message ==
        "parameter 'opt': value \"adam\" is outside its distribution");

  Distribution layers = IntDistribution{1, 9, false, 2};
  CHECK(ToExternal(layers, 5.0) == 5);
  CHECK(ToExternal(layers, 5.0).is_number_integer());
  CHECK(*ToInternal("layers", layers, 7) == 7.0);
  CHECK_FALSE(ToInternal("layers", layers, 4).ok());   // off the step grid
  CHECK_FALSE(ToInternal("layers", layers, 11).ok());  // out of range
  CHECK_FALSE(ToInternal("layers", layers, 2.5).ok());

  Distribution lr = FloatDistribution{1e-5, 1e-1, true, std::nullopt};
  CHECK(*ToInternal("lr", lr, 0.01) == 0.01);
  CHECK_FALSE(ToInternal("lr", lr, "0.01").ok());
}

TEST_CASE("Optuna's distribution_json round-trips and legacy names read") {
  Distribution dists[] = {
      FloatDistribution{0.0, 1.0, false, std::nullopt}, FloatDistribution{0.0, 0.5, false, 0.05},
      FloatDistribution{1e-5, 1e-1, true, std::nullopt}, IntDistribution{1, 1024, true, 1},
      IntDistribution{0, 10, false, 2}, CategoricalDistribution{{"a", 1, 2.5, nullptr, true}}};
  for (const auto& d : dists) {
    auto back = ParseOptunaJson("p", ToOptunaJson(d));
    REQUIRE(back.ok());
    CHECK(*back == d);
  }
  CHECK(ToOptunaJson(IntDistribution{1, 1024, true, 1}) ==
        R"({"attributes":{"high":1024,"log":true,"low":1,"step":1},"name":"IntDistribution"})");
  auto legacy = ParseOptunaJson("p", R"({"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}})");
  REQUIRE(legacy.ok());
  CHECK(*legacy == Distribution(FloatDistribution{0.001, 1.0, true, std::nullopt}));
  auto discrete = ParseOptunaJson("p", R"({"name": "DiscreteUniformDistribution", "attributes": {"low": 0, "high": 1.0, "q": 0.25}})");
  REQUIRE(discrete.ok());
  CHECK(*discrete == Distribution(FloatDistribution{0, 1.0, false, 0.25}));
  auto int_log = ParseOptunaJson("p", R"({"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64}})");
  REQUIRE(int_log.ok());
  CHECK(*int_log == Distribution(IntDistribution{1, 64, true, 1}));
  CHECK_FALSE(ParseOptunaJson("p", R"({"name": "Nope", "attributes": {}})").ok());
  CHECK_FALSE(ParseOptunaJson("p", "not json").ok());
}

TEST_CASE("a distribution_json another program wrote wrongly is refused, never thrown or taken") {
  // Mistyped fields, impossible ranges, a class name that is not a string: each an
  // error value (the storage then leaves that parameter out), none an exception.
  const char* bad[] = {
      R"({"name": "FloatDistribution", "attributes": {"low": "0", "high": 1}})",
      R"({"name": "FloatDistribution", "attributes": {"low": 0}})",
      R"({"name": "FloatDistribution", "attributes": [0, 1]})",
      R"({"name": 7, "attributes": {"low": 0, "high": 1}})",
      R"({"name": "FloatDistribution", "attributes": {"low": 2, "high": 1}})",
      R"({"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "log": "yes"}})",
      R"({"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "log": true}})",
      R"({"name": "IntDistribution", "attributes": {"low": 0.5, "high": 3}})",
      R"({"name": "IntDistribution", "attributes": {"low": 0, "high": 1e300}})",
      R"({"name": "IntDistribution", "attributes": {"low": 0, "high": 10, "step": 1e300}})",
      R"({"name": "IntDistribution", "attributes": {"low": 0, "high": 18446744073709551615}})",
      R"({"name": "CategoricalDistribution", "attributes": {"choices": "ab"}})",
      R"({"name": "CategoricalDistribution", "attributes": {"choices": []}})",
      R"({"name": "CategoricalDistribution"})",
  };
  for (const char* text : bad) {
    CAPTURE(text);
    Result<Distribution> parsed = Error::BadInput("");
    CHECK_NOTHROW(parsed = ParseOptunaJson("p", text));
    CHECK_FALSE(parsed.ok());
  }
  auto float_with_null_step = ParseOptunaJson("p", R"({"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "step": null, "log": false}})");
  REQUIRE(float_with_null_step.ok());
  CHECK(*float_with_null_step == Distribution(FloatDistribution{0, 1, false, std::nullopt}));
}

}  // namespace knob
