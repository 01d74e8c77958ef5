// The TPE estimator's math pinned against values computed independently in Python:
// Optuna 3.1's own code where knob follows it (truncated normal, weights, the
// multivariate Scott bandwidth, categorical kernels, log densities), and the
// neighbour-rule formula of Optuna >= 4.9 written out by hand where knob follows that.
#include <doctest/doctest.h>

#include <cmath>

#include "search/samplers/tpe/group_decomposition.h"
#include "search/samplers/tpe/parzen_estimator.h"
#include "search/samplers/tpe/tpe_options.h"
#include "search/samplers/tpe/truncnorm.h"

namespace knob {

// from optuna.samplers._tpe import _truncnorm as tn
// tn._log_ndtr(x), tn._log_gauss_mass(a, b), tn.ppf(u, a, b)
TEST_CASE("truncated-normal numerics match Optuna's") {
  using namespace truncnorm;
  CHECK(LogNdtr(-40.0) == doctest::Approx(-804.6084420137538).epsilon(1e-12));
  CHECK(LogNdtr(-5.0) == doctest::Approx(-15.064998393988724).epsilon(1e-12));
  CHECK(LogNdtr(0.0) == doctest::Approx(-0.6931471805599453).epsilon(1e-14));
  CHECK(LogNdtr(3.0) == doctest::Approx(-0.0013508099647482027).epsilon(1e-12));
  CHECK(LogNdtr(8.0) == doctest::Approx(-6.220960574271819e-16).epsilon(1e-6));
  CHECK(LogGaussMass(-1.0, 2.0) == doctest::Approx(-0.20016629432446262).epsilon(1e-12));
  CHECK(LogGaussMass(3.0, 4.0) == doctest::Approx(-6.631467786538224).epsilon(1e-12));
  CHECK(LogGaussMass(-9.0, -8.5) == doctest::Approx(-39.20937339174401).epsilon(1e-12));
  CHECK(LogGaussMass(-0.5, 0.5) == doctest::Approx(-0.9599163336956222).epsilon(1e-12));
  // Far tails (beyond 25 standard deviations) go through log space.
  CHECK(LogGaussMass(30.0, 31.0) == doctest::Approx(-454.3212439563432).epsilon(1e-10));
  CHECK(LogGaussMass(-40.0, -30.0) == doctest::Approx(-454.32124395634315).epsilon(1e-10));
  CHECK(Ppf(0.3, -1.0, 2.0) == doctest::Approx(-0.24240381788922666).epsilon(1e-10));
  CHECK(Ppf(0.9, 3.0, 4.0) == doctest::Approx(3.592924111315612).epsilon(1e-10));
  CHECK(Ppf(0.5, -9.0, -8.5) == doctest::Approx(-8.578732892253498).epsilon(1e-9));
  CHECK(Ppf(0.01, -0.5, 0.5) == doctest::Approx(-0.4891527251219451).epsilon(1e-10));
  for (double p : {1e-12, 0.02, 0.3, 0.5, 0.97, 1 - 1e-12})
    CHECK(0.5 * std::erfc(-Ndtri(p) / std::sqrt(2.0)) == doctest::Approx(p).epsilon(1e-12));
}

// optuna.samplers._tpe.sampler.default_weights(30)
TEST_CASE("observation weights ramp like Optuna's default_weights") {
  TpeOptions options;
  auto w = options.ObservationWeights(30);
  REQUIRE(w.size() == 30);
  CHECK(w[0] == doctest::Approx(0.03333333333333333));
  CHECK(w[1] == doctest::Approx(0.275));
  CHECK(w[3] == doctest::Approx(0.7583333333333333));
  CHECK(w[4] == 1.0);
  CHECK(w[29] == 1.0);
  CHECK(options.ObservationWeights(24) == std::vector<double>(24, 1.0));
  options.weights = TpeWeights::kUniform;
  CHECK(options.ObservationWeights(30) == std::vector<double>(30, 1.0));
  CHECK(options.NumberBelow(100) == 10);  // unset: 0.1 for one objective
  CHECK(options.NumberBelow(100, true) == 20);  // 0.2 for several
  options.gamma = 0.1;
  CHECK(options.NumberBelow(100, true) == 10);
  CHECK(options.NumberBelow(1000) == 25);
  CHECK(options.NumberBelow(7) == 1);
}

// space = {"f": Float(0, 10), "l": Float(1e-3, 1, log), "i": Int(0, 8, step=2), "c": Cat(a, b, c)}
// obs = {"f": [1, 2.5, 9], "l": [0.01, 0.5, 0.002], "i": [2, 8, 4], "c": [0, 2, 2]}
// pe = _ParzenEstimator(obs, space, _ParzenEstimatorParameters(True, 1.0, True, False,
//                       default_weights, multivariate=True))
TEST_CASE("the multivariate (Scott) estimator matches Optuna 3.1's") {
  std::vector<TpeDimension> dims = {
      TpeDimension::Of(FloatDistribution{0, 10, false, std::nullopt}),
      TpeDimension::Of(FloatDistribution{1e-3, 1, true, std::nullopt}),
      TpeDimension::Of(IntDistribution{0, 8, false, 2}),
      TpeDimension::Of(CategoricalDistribution{{"a", "b", "c"}})};
  auto obs = [&](double f, double l, double i, double c) {
    return std::vector<double>{dims[0].Transform(f), dims[1].Transform(l), dims[2].Transform(i), c};
  };
  ParzenOptions options;
  options.bandwidth = TpeBandwidth::kScott;
  // Columns: one vector per dimension.
  ParzenEstimator pe(dims, {{1, 2.5, 9}, {std::log(0.01), std::log(0.5), std::log(0.002)}, {2, 8, 4}, {0, 2, 2}},
                     {1, 1, 1}, options);
  CHECK(pe.weights() == std::vector<double>{0.25, 0.25, 0.25, 0.25});
  for (size_t k = 0; k < 3; ++k) {
    CHECK(pe.sigmas(0)[k] == doctest::Approx(2.0));
    CHECK(pe.sigmas(1)[k] == doctest::Approx(1.3815510557964275));
    CHECK(pe.sigmas(2)[k] == doctest::Approx(2.0));
  }
  CHECK(pe.sigmas(0)[3] == doctest::Approx(10.0));
  CHECK(pe.sigmas(1)[3] == doctest::Approx(6.907755278982137));
  CHECK(pe.mus(0)[3] == doctest::Approx(5.0));
  CHECK(pe.ChoiceProbability(3, 0, 0) == doctest::Approx(0.7142857142857143));
  CHECK(pe.ChoiceProbability(3, 0, 1) == doctest::Approx(0.14285714285714285));
  CHECK(pe.ChoiceProbability(3, 1, 2) == doctest::Approx(0.7142857142857143));
  CHECK(pe.ChoiceProbability(3, 3, 1) == doctest::Approx(1.0 / 3));
  // Log densities at {"f": [1.5, 7], "l": [0.02, 0.3], "i": [2, 6], "c": [0, 2]}: Optuna's
  // components (tn.logpdf per numeric kernel, tn._log_gauss_mass for the stepped int,
  // log of the categorical weights) with the -log(sigma) of the density's Jacobian that
  // Optuna 3.1's tn.logpdf leaves out (its pe.log_pdf gives -3.4276 and -3.9981), then
  // logsumexp over kernels with log(pe._weights).
  auto log_pdf = pe.LogPdf({obs(1.5, 0.02, 2, 0), obs(7, 0.3, 6, 2)});
  CHECK(log_pdf[0] == doctest::Approx(-5.161229082203716).epsilon(1e-10));
  CHECK(log_pdf[1] == doctest::Approx(-7.2868772780102455).epsilon(1e-10));
}

// Neighbour rule (Optuna >= 4.9, prior not a neighbour), by hand for f = [1, 2.5, 9]
// in [0, 10]: sorted 1, 2.5, 9; first and last take their inner gap: 1.5, 6.5; the
// middle the larger gap: max(1.5, 6.5) = 6.5; magic clip min = 10 / min(100, 3 + 2) = 2.
TEST_CASE("the neighbour bandwidth rule and sampling stay in range") {
  std::vector<TpeDimension> dims = {TpeDimension::Of(FloatDistribution{0, 10, false, std::nullopt})};
  ParzenEstimator pe(dims, {{1.0, 2.5, 9.0}}, {1, 1, 1}, ParzenOptions{});
  CHECK(pe.sigmas(0) == std::vector<double>{2.0, 6.5, 6.5, 10.0});
  ParzenEstimator single(dims, {{8.0}}, {1}, ParzenOptions{});
  CHECK(single.sigmas(0)[0] == 8.0);  // one observation: the farther range end

  Rng rng(3);
  std::vector<TpeDimension> mixed = {TpeDimension::Of(IntDistribution{1, 1000, true, 1}),
                                     TpeDimension::Of(FloatDistribution{0, 1, false, 0.25})};
  ParzenEstimator discrete(mixed, {{std::log(10.0), std::log(700.0)}, {0.25, 1.0}}, {1, 1}, ParzenOptions{});
  for (const auto& p : discrete.Sample(rng, 500)) {
    double i = mixed[0].Untransform(p[0]);
    CHECK(i == std::round(i));
    CHECK(i >= 1);
    CHECK(i <= 1000);
    CHECK(std::fmod(p[1], 0.25) == 0.0);
  }
  // A discrete estimator's masses over the whole grid add up to one.
  std::vector<TpeDimension> small = {TpeDimension::Of(IntDistribution{0, 6, false, 2})};
  ParzenEstimator grid(small, {{2.0, 6.0}}, {1, 1}, ParzenOptions{});
  double total = 0;
  for (double lp : grid.LogPdf({{0}, {2}, {4}, {6}})) total += std::exp(lp);
  CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("groups split so that every trial's parameters are a union of groups") {
  auto groups = DecomposeGroups({{"model", "lr", "width"}, {"model", "alpha"}, {"model", "lr", "width"},
                                 {"model", "depth", "leaf"}});
  std::set<std::set<std::string>> got(groups.begin(), groups.end());
  CHECK(got == std::set<std::set<std::string>>{{"model"}, {"lr", "width"}, {"alpha"}, {"depth", "leaf"}});
  CHECK(DecomposeGroups({{"a", "b"}, {"a", "b"}}).size() == 1);
}

}  // namespace knob
