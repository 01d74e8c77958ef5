// The Gaussian-process sampler's math (search/samplers/gp): kernel values and
// gradients against finite differences, log EI against the direct formula and a
// long-double evaluation far below the incumbent, the posterior on a small case
// computed by hand; and the sampler as a study runs it: parameters in bounds and
// on their steps, parallel asks apart, duplicated points, the auto sampler's picks.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <set>

#include "search/samplers/auto_sampler.h"
#include "search/samplers/gp/acquisition.h"
#include "search/samplers/gp/gaussian_process.h"
#include "search/samplers/gp/gp_options.h"
#include "search/samplers/gp/gp_space.h"
#include "search/samplers/gp/log_ei.h"
#include "search/samplers/gp/matern_kernel.h"
#include "search/samplers/gp/output_warping.h"
#include "studies/memory_storage.h"
#include "studies/study.h"

namespace knob {
namespace {

Eigen::MatrixXd RandomPoints(int n, int d, std::mt19937_64& rng, const std::vector<bool>& categorical) {
  std::uniform_real_distribution<double> u(0, 1);
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = categorical[j] ? std::floor(u(rng) * 3) : u(rng);
  return x;
}

const char* kMixedSpace = R"({
  "lr":      {"type": "float", "low": 1e-5, "high": 1e-1, "log": true},
  "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.05},
  "layers":  {"type": "int", "low": 1, "high": 4},
  "batch":   {"type": "int", "low": 16, "high": 512, "log": true},
  "units":   {"type": "int", "low": 8, "high": 1024, "step": 8},
  "x":       {"type": "float", "low": -3, "high": 3},
  "opt":     {"type": "categorical", "choices": ["adamw", "sgd", "adam"]}
})";

double MixedObjective(const nlohmann::json& p) {
  double v = std::pow(std::log10(p["lr"].get<double>()) + 3, 2) + std::pow(p["dropout"].get<double>() - 0.2, 2) +
             0.1 * std::abs(p["layers"].get<int>() - 3) + std::pow(std::log2(p["batch"].get<double>()) - 7, 2) / 10 +
             std::pow(p["units"].get<double>() / 1024 - 0.5, 2) + std::pow(p["x"].get<double>() - 1, 2);
  if (p["opt"] != "adam") v += 0.5;
  return v;
}

Study MakeStudy(MemoryStorage& storage, SamplerSpec spec, const char* space_text = kMixedSpace) {
  StudyConfig config;
  config.name = "gp";
  config.sampler = std::move(spec);
  auto space = ParseSearchSpaceText(space_text);
  REQUIRE(space.ok());
  config.space = *space;
  auto study = Study::Create(storage, config);
  REQUIRE(study.ok());
  return std::move(*study);
}

void TellValue(Study& study, int number, double value) {
  TellRequest tell;
  tell.value = value;
  REQUIRE(study.Tell(number, tell).ok());
}

}  // namespace

TEST_CASE("gp: the Matern-5/2 kernel's values and its Hamming term for categoricals") {
  CHECK(MaternKernel::Shape(0) == doctest::Approx(1.0));
  // r = 1: (1 + sqrt 5 + 5/3) exp(-sqrt 5), written out.
  CHECK(MaternKernel::Shape(1) == doctest::Approx((1 + 2.2360679775 + 5.0 / 3) * 0.10687792566));
  double previous = 1;
  for (double r2 = 0.01; r2 < 20; r2 *= 1.5) {
    CHECK(MaternKernel::Shape(r2) < previous);  // decreasing in distance
    previous = MaternKernel::Shape(r2);
    double h = 1e-6 * r2;
    double numeric = (MaternKernel::Shape(r2 + h) - MaternKernel::Shape(r2 - h)) / (2 * h);
    CHECK(MaternKernel::ShapeDerivative(r2) == doctest::Approx(numeric).epsilon(1e-6));
  }
  CHECK(MaternKernel::ShapeDerivative(0) == doctest::Approx(-5.0 / 6));
  MaternKernel kernel{{false, true}};
  Eigen::VectorXd lambda(2);
  lambda << 4, 0.5;
  double a[] = {0.1, 2}, b[] = {0.4, 2}, c[] = {0.4, 1};
  CHECK(kernel.SquaredDistance(lambda, a, b) == doctest::Approx(4 * 0.09));
  CHECK(kernel.SquaredDistance(lambda, a, c) == doctest::Approx(4 * 0.09 + 0.5));  // choices differ: 1
}

TEST_CASE("gp: the log posterior's gradient matches finite differences") {
  std::mt19937_64 rng(3);
  std::vector<bool> categorical = {false, false, true, false};
  MaternKernel kernel{categorical};
  Eigen::MatrixXd x = RandomPoints(25, 4, rng, categorical);
  Eigen::VectorXd y(25);
  for (int i = 0; i < 25; ++i) y[i] = std::sin(5 * x(i, 0)) + x(i, 1) * x(i, 2) - x(i, 3);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  for (int trial = 0; trial < 4; ++trial) {
    Eigen::VectorXd raw(6);
    std::normal_distribution<double> normal(0, 1);
    for (int i = 0; i < 6; ++i) raw[i] = normal(rng);
    raw[5] -= 4;  // a small noise, as fitted
    Eigen::VectorXd gradient;
    NegLogPosterior posterior(kernel, x, y, 1e-6);
    double f = posterior(raw, &gradient);
    REQUIRE(std::isfinite(f));
    for (int i = 0; i < 6; ++i) {
      Eigen::VectorXd up = raw, down = raw;
      double h = 1e-5;
      up[i] += h, down[i] -= h;
      double numeric = (posterior(up, nullptr) - posterior(down, nullptr)) / (2 * h);
      INFO("parameter ", i);
      CHECK(gradient[i] == doctest::Approx(numeric).epsilon(1e-4).scale(1));
    }
  }
}

TEST_CASE("gp: the fit raises the posterior and finds the relevant coordinate") {
  std::mt19937_64 rng(5);
  std::vector<bool> categorical = {false, false, false};
  MaternKernel kernel{categorical};
  Eigen::MatrixXd x = RandomPoints(40, 3, rng, categorical);
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) y[i] = std::sin(6 * x(i, 1));  // only coordinate 1 matters
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  KernelParams start{Eigen::VectorXd::Ones(3), 1.0, 1e-2};
  NegLogPosterior posterior(kernel, x, y, 1e-6);
  double before = posterior(RawOf(start, 1e-6), nullptr);
  GaussianProcess gp = GaussianProcess::Fit(kernel, x, y, std::nullopt, {});
  double after = posterior(RawOf(gp.params(), 1e-6), nullptr);
  CHECK(after < before - 10);
  const Eigen::VectorXd& lambda = gp.params().inverse_squared_lengthscales;
  CHECK(lambda[1] > 10 * lambda[0]);
  CHECK(lambda[1] > 10 * lambda[2]);
}

TEST_CASE("gp: the posterior on two points, computed by hand") {
  // Points 0 and 0.5 in one coordinate, values 1 and -1; lambda 4, scale 2, noise 0.01.
  MaternKernel kernel{{false}};
  Eigen::MatrixXd x(2, 1);
  x << 0, 0.5;
  Eigen::VectorXd y(2);
  y << 1, -1;
  KernelParams p{Eigen::VectorXd::Constant(1, 4.0), 2.0, 0.01};
  GaussianProcess gp(kernel, x, y, p);
  auto k = [](double a, double b) { return 2 * MaternKernel::Shape(4 * (a - b) * (a - b)); };
  double k00 = k(0, 0) + 0.01, k01 = k(0, 0.5), k11 = k(0.5, 0.5) + 0.01;
  double det = k00 * k11 - k01 * k01;
  double i00 = k11 / det, i01 = -k01 / det, i11 = k00 / det;  // the 2x2 inverse
  for (double at : {0.0, 0.2, 0.5, 0.9}) {
    double a = k(at, 0), b = k(at, 0.5);
    double mean = a * (i00 * 1 + i01 * -1) + b * (i01 * 1 + i11 * -1);
    double var = 2 - (a * a * i00 + 2 * a * b * i01 + b * b * i11);
    Eigen::VectorXd m, v;
    gp.Predict(Eigen::MatrixXd::Constant(1, 1, at), &m, &v);
    CHECK(m[0] == doctest::Approx(mean).epsilon(1e-10));
    CHECK(v[0] == doctest::Approx(var).epsilon(1e-9));
    double m1, v1;
    Eigen::VectorXd dm, dv;
    gp.PredictWithGradient(Eigen::VectorXd::Constant(1, at), &m1, &v1, &dm, &dv);
    CHECK(m1 == doctest::Approx(mean).epsilon(1e-10));
    CHECK(v1 == doctest::Approx(var).epsilon(1e-9));
  }
}

TEST_CASE("gp: the posterior's gradients by the point match finite differences") {
  std::mt19937_64 rng(9);
  std::vector<bool> categorical = {false, true, false};
  MaternKernel kernel{categorical};
  Eigen::MatrixXd x = RandomPoints(30, 3, rng, categorical);
  Eigen::VectorXd y = Eigen::VectorXd::NullaryExpr(30, [&](Eigen::Index i) { return std::cos(4 * x(i, 0)) + x(i, 2); });
  KernelParams p{Eigen::Vector3d(3, 0.7, 5), 1.3, 1e-4};
  GaussianProcess gp(kernel, x, y, p);
  for (int trial = 0; trial < 5; ++trial) {
    Eigen::VectorXd point = RandomPoints(1, 3, rng, categorical).row(0).transpose();
    double mean, var;
    Eigen::VectorXd dmean, dvar;
    gp.PredictWithGradient(point, &mean, &var, &dmean, &dvar);
    for (int c : {0, 2}) {
      double h = 1e-6;
      Eigen::MatrixXd pts(2, 3);
      pts.row(0) = point.transpose(), pts.row(1) = point.transpose();
      pts(0, c) += h, pts(1, c) -= h;
      Eigen::VectorXd m, v;
      gp.Predict(pts, &m, &v);
      CHECK(dmean[c] == doctest::Approx((m[0] - m[1]) / (2 * h)).epsilon(1e-5).scale(1));
      CHECK(dvar[c] == doctest::Approx((v[0] - v[1]) / (2 * h)).epsilon(1e-4).scale(1));
    }
    CHECK(dmean[1] == 0);  // categorical: no gradient
  }
}

TEST_CASE("gp: log EI against the direct formula, and far below the incumbent against long double") {
  for (double z = -0.99; z <= 6; z += 0.37) {
    double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    double pdf = std::exp(-z * z / 2) / std::sqrt(2 * M_PI);
    CHECK(LogH(z) == doctest::Approx(std::log(z * cdf + pdf)).epsilon(1e-12));
  }
  // Long double evaluates z Phi(z) + phi(z) directly down to z = -140 (exp(-9800) is
  // representable there), with its 64-bit mantissa absorbing the cancellation.
  for (long double z : {-1.5L, -3.0L, -8.0L, -20.0L, -24.9L, -25.1L, -30.0L, -100.0L, -140.0L}) {
    long double cdf = 0.5L * erfcl(-z / sqrtl(2.0L));
    long double pdf = expl(-z * z / 2) / sqrtl(2 * M_PI);
    long double direct = logl(z * cdf + pdf);
    INFO("z = ", static_cast<double>(z));
    CHECK(LogH(static_cast<double>(z)) == doctest::Approx(static_cast<double>(direct)).epsilon(1e-9));
  }
  // Beyond: the asymptotic form log phi(z) - 2 log|z| + log(1 - 3/z^2 + 15/z^4).
  for (double z : {-1e4, -1e6, -1e8}) {
    double asymptotic = -z * z / 2 - 0.5 * std::log(2 * M_PI) - 2 * std::log(-z) + std::log1p(-3 / (z * z));
    CHECK(LogH(z) == doctest::Approx(asymptotic).epsilon(1e-12));
    CHECK(std::isfinite(LogH(z)));
  }
  // The derivative, across the branches, by finite differences.
  for (double z : {-200.0, -26.0, -25.0, -24.0, -5.0, -1.01, -0.99, 0.0, 3.0}) {
    double d;
    LogH(z, &d);
    double h = 1e-5 * std::max(1.0, std::abs(z));
    double numeric = (LogH(z + h) - LogH(z - h)) / (2 * h);
    INFO("z = ", z);
    CHECK(d == doctest::Approx(numeric).epsilon(1e-5));
  }
}

TEST_CASE("gp: the unit scaling keeps every kind in bounds and on its steps") {
  auto space = ParseSearchSpaceText(kMixedSpace);
  REQUIRE(space.ok());
  std::vector<GpDim> dims = GpDimsOf(*space);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-0.2, 1.2);
  for (const auto& dim : dims) {
    for (int i = 0; i < 200; ++i) {
      double unit = dim.kind == GpDimKind::kCategorical ? std::floor(u(rng) * dim.grid) : u(rng);
      double internal = dim.FromUnit(unit);
      INFO(dim.name, " from ", unit, " = ", internal);
      CHECK(ToInternal(dim.name, dim.distribution, ToExternal(dim.distribution, internal)).ok());
      CHECK(dim.FromUnit(dim.ToUnit(internal)) == doctest::Approx(internal));  // a fixed point
    }
  }
}

TEST_CASE("gp: a study's suggestions stay in bounds, and it beats random search on a smooth mixed objective") {
  double best[2] = {INFINITY, INFINITY};
  for (int s = 0; s < 2; ++s) {
    MemoryStorage storage;
    Study study = MakeStudy(storage, s == 0 ? SamplerSpec{"gp", {{"seed", 4}}} : SamplerSpec{"random", {{"seed", 4}}});
    auto space = ParseSearchSpaceText(kMixedSpace);
    for (int i = 0; i < 40; ++i) {
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      nlohmann::json p = trial->ParamsJson();
      for (const auto& [name, value] : p.items()) CHECK(ToInternal(name, space->at(name), value).ok());
      double v = MixedObjective(p);
      best[s] = std::min(best[s], v);
      TellValue(study, trial->number, v);
    }
  }
  CHECK(best[0] < best[1]);
}

TEST_CASE("gp: four parallel asks are clearly different points") {
  MemoryStorage storage;
  Study study = MakeStudy(storage, {"gp", {{"seed", 2}}});
  for (int i = 0; i < 15; ++i) {
    auto trial = study.Ask();
    REQUIRE(trial.ok());
    TellValue(study, trial->number, MixedObjective(trial->ParamsJson()));
  }
  auto space = ParseSearchSpaceText(kMixedSpace);
  std::vector<GpDim> dims = GpDimsOf(*space);
  std::vector<Eigen::VectorXd> points;
  for (int i = 0; i < 4; ++i) {
    auto trial = study.Ask();  // none told: each sees the others running
    REQUIRE(trial.ok());
    Eigen::VectorXd x(dims.size());
    for (size_t d = 0; d < dims.size(); ++d) x[d] = dims[d].ToUnit(trial->params.at(dims[d].name).internal);
    points.push_back(x);
  }
  for (size_t a = 0; a < points.size(); ++a)
    for (size_t b = a + 1; b < points.size(); ++b) CHECK((points[a] - points[b]).norm() > 0.05);
}

TEST_CASE("gp: duplicated points and constant values do not crash the fit") {
  const char* space = R"({"x": {"type": "float", "low": 0, "high": 1}, "k": {"type": "int", "low": 1, "high": 2}})";
  for (bool deterministic : {false, true}) {
    MemoryStorage fresh;
    Study study = MakeStudy(fresh, {"gp", {{"seed", 1}, {"n_startup_trials", 3}, {"deterministic_objective", deterministic}}}, space);
    // Ten trials at one point (enqueued), half with one value and half another, then constants.
    for (int i = 0; i < 10; ++i) {
      REQUIRE(study.Enqueue({{"x", 0.5}, {"k", 1}}).ok());
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      TellValue(study, trial->number, i % 2 ? 1.0 : 2.0);
    }
    for (int i = 0; i < 5; ++i) {
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      double x = trial->params.at("x").internal;
      CHECK(x >= 0);
      CHECK(x <= 1);
      TellValue(study, trial->number, 3.0);
    }
  }
  // The fit itself on 20 copies of one point with one value.
  MaternKernel kernel{{false, false}};
  Eigen::MatrixXd x = Eigen::MatrixXd::Constant(20, 2, 0.3);
  Eigen::VectorXd y = Eigen::VectorXd::Zero(20);
  GpFitOptions options;
  options.fit_noise = false;
  GaussianProcess gp = GaussianProcess::Fit(kernel, x, y, std::nullopt, options);
  Eigen::VectorXd m, v;
  gp.Predict(Eigen::MatrixXd::Constant(1, 2, 0.7), &m, &v);
  CHECK(std::isfinite(m[0]));
  CHECK(std::isfinite(v[0]));
}

TEST_CASE("gp: on a conditional space it moves into the branch that holds the optimum and asks no point twice") {
  // The best branch (poly) has a parameter of its own; the acquisition once scored
  // "poly with no degree", a point no trial holds, and asked it again and again.
  const char* space = R"({
    "C":      {"type": "float", "low": 1e-3, "high": 1e3, "log": true},
    "gamma":  {"type": "float", "low": 1e-4, "high": 10, "log": true},
    "kernel": {"type": "categorical", "choices": ["rbf", "poly", "linear"]},
    "degree": {"type": "int", "low": 2, "high": 5, "when": {"kernel": "poly"}}
  })";
  for (int seed : {0, 1, 2}) {
    MemoryStorage storage;
    Study study = MakeStudy(storage, {"gp", {{"seed", seed}}}, space);
    std::set<std::string> asked;
    int repeats = 0;
    double best = INFINITY;
    for (int i = 0; i < 40; ++i) {
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      nlohmann::json p = trial->ParamsJson();
      CHECK(p.contains("degree") == (p["kernel"] == "poly"));
      repeats += !asked.insert(p.dump()).second;
      double c = std::log10(p["C"].get<double>()), g = std::log10(p["gamma"].get<double>());
      double v = p["kernel"] == "poly" ? 0.1 * std::pow(c - 0.5, 2) + 0.1 * std::pow(g + 1, 2) +
                                             0.03 * std::pow(p["degree"].get<int>() - 3, 2)
                 : p["kernel"] == "rbf" ? 0.05 + 0.1 * std::pow(c - 1.5, 2) + 0.2 * std::pow(g + 2, 2)
                                        : 0.2 + 0.1 * c * c;
      best = std::min(best, v);
      TellValue(study, trial->number, v);
    }
    INFO("seed ", seed);
    CHECK(repeats == 0);
    CHECK(best < 0.01);  // in the poly branch, degree 3, near (C, gamma) = (10^0.5, 10^-1)
  }
}

TEST_CASE("gp: output warpings keep the order, standardise, and share ties") {
  Eigen::VectorXd y(6);
  y << 5, 1, 3, 3, 100, 2;
  for (OutputWarping w : {OutputWarping::kStandard, OutputWarping::kRank, OutputWarping::kLog}) {
    Eigen::VectorXd z = WarpedTargets(y, w);
    CHECK(std::abs(z.mean()) < 1e-12);
    CHECK(std::abs(std::sqrt(z.array().square().mean()) - 1) < 1e-12);
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j)
        if (y[i] < y[j]) CHECK(z[i] < z[j]);
    CHECK(z[2] == z[3]);
    CHECK(WarpedTargets(Eigen::VectorXd::Constant(4, 7.0), w).isZero());
  }
  // rank: the normal's quantiles at (mid-rank + 0.5) / 6 (the tied 3s share rank 2.5), standardised.
  Eigen::VectorXd q(6);
  q << 0.6744897501960817, -1.3829941271006387, 0, 0, 1.3829941271006387, -0.6744897501960817;
  q = (q.array() - q.mean()) / std::sqrt((q.array() - q.mean()).square().mean());
  CHECK((WarpedTargets(y, OutputWarping::kRank) - q).cwiseAbs().maxCoeff() < 1e-9);
  // 100 stands 2.2 sd above the mean as it is; logged, less.
  CHECK(WarpedTargets(y, OutputWarping::kStandard)[4] > 2.2);
  CHECK(WarpedTargets(y, OutputWarping::kLog)[4] < 1.7);
  CHECK(ParseGpOptions({{"output_warping", "rank"}})->output_warping == OutputWarping::kRank);
  CHECK(ParseGpOptions(nlohmann::json::object())->output_warping == OutputWarping::kRobust);
  CHECK(!ParseGpOptions({{"output_warping", "ranks"}}).ok());
}

// The q-quantile of `sorted` (ascending), interpolated linearly.
static double QuantileOf(const std::vector<double>& sorted, double q) {
  double at = q * (sorted.size() - 1);
  size_t low = static_cast<size_t>(at), high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (at - low) * (sorted[high] - sorted[low]);
}

TEST_CASE("gp: robust warping cuts a cliff down to the good values' upper quartile, and touches nothing else") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int round = 0; round < 200; ++round) {
    INFO("round ", round);
    int n = 4 + static_cast<int>(unit(rng) * 60);
    // Good values anywhere in [best, best + spread]; some exploded ones 1e3..1e14
    // spreads above, and some trials that failed (+inf).
    double best = (unit(rng) - 0.5) * 1e4, spread = std::pow(10.0, unit(rng) * 8 - 4);
    int exploded = static_cast<int>(unit(rng) * 0.49 * n);
    int failed = round % 3 == 0 ? static_cast<int>(unit(rng) * 0.3 * n) : 0;
    Eigen::VectorXd y(n);
    double largest_good = best;
    for (int i = 0; i < n; ++i) {
      bool blown = i < exploded;
      y[i] = i == n - 1 ? best : best + spread * (blown ? std::pow(10.0, 3 + unit(rng) * 11) : unit(rng));
      if (!blown) largest_good = std::max(largest_good, y[i]);
    }
    y.conservativeResize(n + failed);
    y.tail(failed).setConstant(INFINITY);
    std::vector<double> finite;
    for (double v : y)
      if (std::isfinite(v)) finite.push_back(v);
    std::sort(finite.begin(), finite.end());
    Eigen::VectorXd seen = Eigen::Map<Eigen::VectorXd>(finite.data(), static_cast<Eigen::Index>(finite.size()));
    double jump = OutlierCap(seen);
    if (exploded > 0) CHECK(jump <= largest_good);  // unless a gap opens among the good ones
    // Never below the median: the better half is never taken for a cliff.
    CHECK(jump >= finite[finite.size() / 2]);
    // Past a jump or beside a failed trial: the cap is the upper quartile of the
    // values below the jump; otherwise nothing is clipped.
    std::vector<double> below;
    for (double v : finite)
      if (v <= jump) below.push_back(v);
    bool cliff = jump < finite.back() || failed > 0;
    double cap = cliff ? QuantileOf(below, 0.75) : finite.back();
    CHECK(RobustCap(y) == doctest::Approx(cap).epsilon(1e-12));
    Eigen::VectorXd clipped = y.array().min(cap);
    double mean = clipped.mean(), sd = std::sqrt((clipped.array() - mean).square().mean());
    Eigen::VectorXd z = WarpedTargets(y, OutputWarping::kRobust);
    CHECK((z - (clipped.array() - mean).matrix() / std::max(sd, 1e-10)).cwiseAbs().maxCoeff() < 1e-9);
    // The best stays the best.
    for (Eigen::Index i = 0; i < y.size(); ++i) CHECK(z[n - 1] <= z[i]);
    // Values that rise smoothly, however steeply (each at most 9 times as far from
    // the best as the one below), are left as they are.
    Eigen::VectorXd steep(n);
    double gap = 1;
    for (int i = 0; i < n; ++i) steep[i] = best + (gap *= 1 + 8 * unit(rng));
    steep[0] = best;
    CHECK(OutlierCap(steep) == steep.maxCoeff());
    CHECK(RobustCap(steep) == steep.maxCoeff());
    CHECK((WarpedTargets(steep, OutputWarping::kRobust) - WarpedTargets(steep, OutputWarping::kStandard))
              .cwiseAbs()
              .maxCoeff() < 1e-12);
  }
  // The first jump in the worse half counts: 1, 2, 3, 4 | 50 (12x) 60; the values
  // below it are 1..4, whose upper quartile is 3.25.
  Eigen::VectorXd y(6);
  y << 3, 50, 1, 60, 2, 4;
  CHECK(OutlierCap(y) == 4);
  CHECK(RobustCap(y) == doctest::Approx(3.25));
  // A failed trial (+inf) beside smooth values: the same cut; the other warpings
  // take it as the worst value seen.
  Eigen::VectorXd with_failed(5);
  with_failed << 1, 2, INFINITY, 3, 4;
  CHECK(RobustCap(with_failed) == doctest::Approx(3.25));
  Eigen::VectorXd worst(5);
  worst << 1, 2, 4, 3, 4;
  for (OutputWarping w : {OutputWarping::kStandard, OutputWarping::kRank, OutputWarping::kLog})
    CHECK((WarpedTargets(with_failed, w) - WarpedTargets(worst, w)).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(WarpedTargets(Eigen::VectorXd::Constant(3, INFINITY), OutputWarping::kRobust).isZero());
  CHECK(ParseGpOptions({{"output_warping", "standard"}})->output_warping == OutputWarping::kStandard);
}

TEST_CASE("auto: random first, then gp for one objective (plain or conditional), tpe for several or define-by-run") {
  auto plain = ParseSearchSpaceText(kMixedSpace);
  auto conditional = ParseSearchSpaceText(R"({"opt": {"type": "categorical", "choices": ["a", "b"]},
      "m": {"type": "float", "low": 0, "high": 1, "when": {"opt": "b"}}})");
  REQUIRE(plain.ok());
  REQUIRE(conditional.ok());
  AutoOptions options;
  StudySnapshot study;
  CHECK(AutoChoice(options, study, *plain) == "random");
  for (int i = 0; i < 12; ++i) {
    FrozenTrial t;
    t.number = i;
    t.state = TrialState::kComplete;
    t.value = i;
    t.params["x"] = TrialParam{plain->at("x"), 0.1 * i};
    study.trials.push_back(t);
  }
  CHECK(AutoChoice(options, study, *plain) == "gp");
  CHECK(AutoChoice(options, study, *conditional) == "tpe");  // x is outside it: define-by-run
  StudySnapshot branching = study;
  for (auto& t : branching.trials) {
    t.params.clear();
    t.params["opt"] = TrialParam{conditional->at("opt"), static_cast<double>(t.number % 2)};
    if (t.number % 2) t.params["m"] = TrialParam{conditional->at("m"), 0.5};
  }
  CHECK(AutoChoice(options, branching, *conditional) == "gp");  // a conditional space: shared, gp first
  options.share_conditional = false;
  CHECK(AutoChoice(options, branching, *conditional) == "tpe");  // or tpe's alone
  options.share_conditional = true;
  options.gp_max_trials = 11;
  CHECK(AutoChoice(options, study, *plain) == "tpe");
  options.gp_max_trials = 300;
  study.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  CHECK(AutoChoice(options, study, *plain) == "tpe");

  // As a study runs it: every trial records its pick.
  MemoryStorage storage;
  Study run = MakeStudy(storage, {"auto", {{"seed", 3}}});
  for (int i = 0; i < 13; ++i) {
    auto trial = run.Ask();
    REQUIRE(trial.ok());
    TellValue(run, trial->number, MixedObjective(trial->ParamsJson()));
  }
  auto snapshot = run.Snapshot();
  REQUIRE(snapshot.ok());
  for (const auto& t : snapshot->trials) {
    std::string pick = t.system_attrs.value(kAutoSamplerAttr, "");
    if (t.number <= 10) CHECK(pick == (t.number < 10 ? "random" : "gp"));  // gp leads until measured
    else CHECK((pick == "gp" || pick == "tpe"));
  }
}

TEST_CASE("auto: the sampler whose trials rank better leads, and every other_every-th ask goes to the other") {
  auto plain = ParseSearchSpaceText(kMixedSpace);
  REQUIRE(plain.ok());
  // 10 random trials (10..19), 5 of gp's (20..24, worse) and 5 of tpe's (0..4, better).
  auto make = [&](StudyDirection direction) {
    StudySnapshot study;
    study.direction = direction;
    double sign = direction == StudyDirection::kMaximize ? -1 : 1;
    for (int i = 0; i < 20; ++i) {
      FrozenTrial t;
      t.number = i;
      t.state = TrialState::kComplete;
      t.value = sign * (i < 10 ? 10 + i : i < 15 ? 10 + i : i - 15);
      t.params["x"] = TrialParam{plain->at("x"), 0.05 * i};
      t.system_attrs[kAutoSamplerAttr] = i < 10 ? "random" : i < 15 ? "gp" : "tpe";
      study.trials.push_back(t);
    }
    return study;
  };
  AutoOptions options;  // adaptive (the default), the other every 5th ask
  options.other_every = 5;
  for (StudyDirection direction : {StudyDirection::kMinimize, StudyDirection::kMaximize}) {
    StudySnapshot study = make(direction);
    CHECK(AutoChoice(options, study, *plain) == "tpe");  // 20 complete: tpe leads
    for (int i = 0; i < 4; ++i) study.trials.push_back(study.trials[i]), study.trials.back().number = 20 + i;
    CHECK(AutoChoice(options, study, *plain) == "gp");  // 24 complete: the 5th ask goes to the other
    // gp's trials now the better ones: gp leads and the 5th ask is tpe's.
    for (auto& t : study.trials) {
      auto& attr = t.system_attrs[kAutoSamplerAttr];
      if (attr != "random") attr = attr == "gp" ? "tpe" : "gp";
    }
    CHECK(AutoChoice(options, study, *plain) == "tpe");
    study.trials.pop_back();
    CHECK(AutoChoice(options, study, *plain) == "gp");
  }
  {
    // Failed trials count as finished asks (the 5th goes to the other however the
    // asks before it ended), and as misses of the sampler that proposed them.
    for (bool infinite : {false, true}) {
      StudySnapshot study = make(StudyDirection::kMinimize);
      auto add_failed_tpe_trials = [&](int n) {
        for (int i = 0; i < n; ++i) {
          FrozenTrial t = study.trials[15];  // one of tpe's
          t.number = static_cast<int>(study.trials.size());
          t.state = infinite ? TrialState::kComplete : TrialState::kFail;  // a crash, or a diverged run at +inf
          t.value = infinite ? std::optional<double>(INFINITY) : std::nullopt;
          study.trials.push_back(t);
        }
      };
      add_failed_tpe_trials(4);
      // 24 finished: the 5th ask, the other's; tpe (4 + 1 of 9 + 2 by Laplace) still leads.
      CHECK(AutoChoice(options, study, *plain) == "gp");
      add_failed_tpe_trials(26);
      // 50 finished: the leader's ask; tpe's 5 / 37 now below gp's 1 / 7.
      CHECK(AutoChoice(options, study, *plain) == "gp");
      study.trials.resize(study.trials.size() - 5);
      CHECK(AutoChoice(options, study, *plain) == "tpe");  // 45 finished, 5 / 32 above 1 / 7
    }
  }
  // Not adaptive: gp leads whatever the ranks; other_every 0: never the other.
  StudySnapshot study = make(StudyDirection::kMinimize);
  options.adaptive = false;
  CHECK(AutoChoice(options, study, *plain) == "gp");
  options.adaptive = true;
  options.other_every = 0;
  for (int i = 0; i < 5; ++i) {
    CHECK(AutoChoice(options, study, *plain) == "tpe");
    study.trials.push_back(study.trials[i]), study.trials.back().number = 20 + i;
  }
  CHECK(!ParseAutoOptions({{"other_every", 1}}).ok());
  CHECK(ParseAutoOptions({{"other_every", 0}, {"adaptive", false}}).ok());
}

}  // namespace knob

namespace knob {

TEST_CASE("gp, tpe and auto: asks move away from where trials fail or diverge, and close in on the edge") {
  // The objective improves towards x = 1 but every trial past x = 0.7 crashes,
  // reports +inf (diverged), or a penalty of 1e12 (a value, so only the asks' aim shows).
  enum Beyond { kCrash, kInfinite, kPenalty };
  for (Beyond beyond : {kCrash, kInfinite, kPenalty}) {
    for (const char* name : {"gp", "tpe", "auto"}) {
      MemoryStorage storage;
      Study study = MakeStudy(storage, {name, {{"seed", 5}}}, R"({"x": {"type": "float", "low": 0, "high": 1}})");
      int past_edge_after_startup = 0;
      double best_x = 0;
      for (int i = 0; i < 40; ++i) {
        auto trial = study.Ask();
        REQUIRE(trial.ok());
        double x = trial->params.at("x").internal;
        TellRequest tell;
        if (x > 0.7) {
          past_edge_after_startup += i >= 10;
          if (beyond == kCrash) tell.state = TrialState::kFail;
          else tell.value = beyond == kInfinite ? INFINITY : 1e12;
        } else {
          tell.value = -x;
          best_x = std::max(best_x, x);
        }
        REQUIRE(study.Tell(trial->number, tell).ok());
      }
      INFO(std::string(name), " (", beyond, "): ", past_edge_after_startup,
           " of 30 model-based trials past the edge; best x ", best_x);
      // Ignoring failures, TPE crashed 28 of 30 here; skipping +inf values, gp went
      // past the edge 28 times and auto 22; gp on the penalty's scale (standard
      // warping) ended at 0.64, its good values all alike beside 1e12.
      CHECK(past_edge_after_startup <= 15);
      CHECK(best_x > 0.65);
    }
  }
}

TEST_CASE("gp and auto: a training loss with a cliff beside its best learning rate") {
  // An MLP's loss over (batch, dropout, lr, weight decay): its best learning rate
  // grows with the batch and sits 0.6 decades below the edge where training
  // diverges (a loss of 1e3 and up) or crashes. When the diverged and crashed
  // trials were fitted at the largest good value (20 times the loss beside the
  // edge), the process shortened its length scales to that step: over five seeds
  // auto's median best after 80 trials was 9e-3 (diverged) and 7e-3 (crashed),
  // and gp's worst seed 3.7e-3 and 2.2e-3. Cut to the good values' upper quartile
  // (robust warping): 1.5e-5 and 3e-5, gp's worst 1.2e-5 and 1.8e-5.
  const char* space = R"({"batch": {"type": "int", "low": 16, "high": 1024, "log": true},
                          "dropout": {"type": "float", "low": 0.0, "high": 0.6},
                          "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": true},
                          "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-1, "log": true}})";
  for (bool crash : {false, true}) {
    for (const char* name : {"gp", "auto"}) {
      std::vector<double> bests;
      for (int seed : {1, 2, 3, 4, 5}) {
        MemoryStorage storage;
        Study study = MakeStudy(storage, {name, {{"seed", seed}}}, space);
        double best = INFINITY;
        for (int i = 0; i < 80; ++i) {
          auto trial = study.Ask();
          REQUIRE(trial.ok());
          nlohmann::json p = trial->ParamsJson();
          double batch = std::log2(p["batch"].get<double>() / 64), dropout = p["dropout"];
          double lr = std::log10(p["lr"].get<double>()), wd = std::log10(p["weight_decay"].get<double>()) + 4;
          double best_lr = -2.5 + 0.15 * batch, edge = best_lr + 0.6;
          double loss = std::pow(lr - best_lr, 2) + 3 * std::pow(dropout - 0.2, 2) + 0.05 * wd * wd +
                        0.02 * std::pow(batch - 1, 2);
          TellRequest tell;
          if (lr > edge && crash) {
            tell.state = TrialState::kFail;
          } else {
            if (lr > edge) loss += 1e3 * std::pow(10.0, 4 * (lr - edge));
            else best = std::min(best, loss);
            tell.value = loss;
          }
          REQUIRE(study.Tell(trial->number, tell).ok());
        }
        bests.push_back(best);
      }
      std::sort(bests.begin(), bests.end());
      std::string label = std::string(name) + (crash ? " (crash)" : " (diverged)");
      INFO(label, ": median best ", bests[2], ", worst ", bests[4]);
      CHECK(bests[2] < 1e-3);
      if (std::string(name) == "gp") CHECK(bests[4] < 1e-4);
    }
  }
}

}  // namespace knob

namespace knob {

TEST_CASE("gp, tpe and auto: on a discrete space no model-based ask repeats a trial while an untried point is left") {
  // 5 x 3 x 5 = 75 points, one best; 40 trials, the last 30 model-based.
  const char* space = R"({"a": {"type": "int", "low": 0, "high": 4},
                          "b": {"type": "categorical", "choices": ["p", "q", "r"]},
                          "c": {"type": "float", "low": 0, "high": 1, "step": 0.25}})";
  auto objective = [](const nlohmann::json& p) {
    return std::pow(p["a"].get<int>() - 2, 2) + (p["b"] == "q" ? 0 : 1) + std::pow(p["c"].get<double>() - 0.5, 2);
  };
  for (const char* name : {"gp", "tpe", "auto"}) {
    for (int seed : {1, 2}) {
      MemoryStorage storage;
      Study study = MakeStudy(storage, {name, {{"seed", seed}}}, space);
      std::set<std::string> seen;
      int repeats_after_startup = 0;
      for (int i = 0; i < 40; ++i) {
        auto trial = study.Ask();
        REQUIRE(trial.ok());
        nlohmann::json p = trial->ParamsJson();
        bool repeat = !seen.insert(p.dump()).second;
        repeats_after_startup += repeat && i >= 10;
        TellValue(study, trial->number, objective(p));
      }
      INFO(std::string(name), " seed ", seed, ": ", repeats_after_startup, " repeats");
      CHECK(repeats_after_startup == 0);
    }
  }
  // Every point tried: asks go on, in bounds (a repeat is all that is left).
  for (const char* name : {"gp", "tpe"}) {
    MemoryStorage storage;
    Study study = MakeStudy(storage, {name, {{"seed", 3}, {"n_startup_trials", 2}}},
                            R"({"a": {"type": "int", "low": 0, "high": 1}, "b": {"type": "categorical", "choices": [1, 2]}})");
    for (int i = 0; i < 8; ++i) {
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      int a = trial->ParamsJson()["a"].get<int>();
      CHECK((a == 0 || a == 1));
      TellValue(study, trial->number, a);
    }
  }
}

}  // namespace knob
