#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>

#include "search/samplers/random_sampler.h"

namespace knob {
namespace {

double Draw(const RandomSampler& sampler, int number, const std::string& name, const Distribution& d) {
  auto r = sampler.SampleIndependent(StudySnapshot{}, number, name, d);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("a seeded random sampler is a pure function of seed, trial number and name") {
  RandomSampler a(7), b(7), other(8);
  Distribution d = FloatDistribution{0, 1, false, std::nullopt};
  CHECK(Draw(a, 3, "x", d) == Draw(b, 3, "x", d));
  CHECK(Draw(a, 3, "x", d) != Draw(a, 4, "x", d));
  CHECK(Draw(a, 3, "x", d) != Draw(a, 3, "y", d));
  CHECK(Draw(a, 3, "x", d) != Draw(other, 3, "x", d));
}

TEST_CASE("random values stay inside their distributions and cover them") {
  RandomSampler sampler(1);
  Distribution stepped = FloatDistribution{0, 0.5, false, 0.05};
  Distribution log_float = FloatDistribution{1e-5, 1e-1, true, std::nullopt};
  Distribution log_int = IntDistribution{16, 512, true, 1};
  Distribution ints = IntDistribution{1, 9, false, 2};
  Distribution cat = CategoricalDistribution{{"a", "b", "c"}};
  std::set<double> stepped_seen, ints_seen, cat_seen;
  int log_float_below_1e3 = 0;
  for (int n = 0; n < 2000; ++n) {
    double s = Draw(sampler, n, "s", stepped);
    CHECK(s >= 0);
    CHECK(s <= 0.5);
    CHECK(std::fabs(s / 0.05 - std::round(s / 0.05)) < 1e-9);
    stepped_seen.insert(std::round(s / 0.05));
    double lf = Draw(sampler, n, "lf", log_float);
    CHECK(lf >= 1e-5);
    CHECK(lf < 1e-1);
    log_float_below_1e3 += lf < 1e-3;
    double li = Draw(sampler, n, "li", log_int);
    CHECK(li == std::round(li));
    CHECK(li >= 16);
    CHECK(li <= 512);
    double i = Draw(sampler, n, "i", ints);
    ints_seen.insert(i);
    cat_seen.insert(Draw(sampler, n, "c", cat));
  }
  CHECK(stepped_seen.size() == 11);
  CHECK(ints_seen == std::set<double>{1, 3, 5, 7, 9});
  CHECK(cat_seen == std::set<double>{0, 1, 2});
  // Log-uniform: half of the mass lies below 1e-3 (the geometric middle).
  CHECK(log_float_below_1e3 > 850);
  CHECK(log_float_below_1e3 < 1150);
}

TEST_CASE("single-valued distributions return their value") {
  RandomSampler sampler(std::nullopt);
  CHECK(Draw(sampler, 0, "x", FloatDistribution{2.5, 2.5, false, std::nullopt}) == 2.5);
  CHECK(Draw(sampler, 0, "x", IntDistribution{4, 4, false, 1}) == 4);
  CHECK(Draw(sampler, 0, "x", CategoricalDistribution{{"only"}}) == 0);
}

}  // namespace knob
