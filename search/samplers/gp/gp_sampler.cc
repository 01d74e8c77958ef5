#include "search/samplers/gp/gp_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "search/pareto.h"
#include "search/samplers/gp/acquisition.h"
#include "search/samplers/gp/gaussian_process.h"
#include "search/samplers/gp/gp_space.h"
#include "search/samplers/uniform.h"

namespace knob {
namespace {

// The trial's coordinates; a parameter it lacks (or holds with another
// distribution) at the dimension's inactive place.
Eigen::VectorXd UnitPoint(const FrozenTrial& t, const std::vector<GpDim>& dims) {
  Eigen::VectorXd x(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    auto p = t.params.find(dims[d].name);
    bool has = p != t.params.end() && p->second.distribution == dims[d].distribution;
    x[d] = has ? dims[d].ToUnit(p->second.internal) : dims[d].Inactive();
  }
  return x;
}

// Makes a point one a trial would store: the coordinates of parameters whose
// condition does not hold at their inactive place, and those of parameters that
// have become active (a scan changed what they depend on) at the middle of their
// range (a categorical's first choice), so the acquisition never scores a point
// that no trial can hold.
PointProjection InactiveProjection(const SearchSpace& space, const std::vector<GpDim>& dims) {
  if (space.conditions.empty()) return {};
  return [&space, &dims](Eigen::VectorXd& x) {
    // Conditions may chain (a parameter active when one that is itself conditional
    // holds a value), so activation is settled in as many passes as there are dimensions.
    for (size_t pass = 0; pass < dims.size(); ++pass) {
      nlohmann::json values = nlohmann::json::object();
      for (size_t d = 0; d < dims.size(); ++d)
        if (x[d] != dims[d].Inactive()) values[dims[d].name] = ToExternal(dims[d].distribution, dims[d].FromUnit(x[d]));
      std::vector<std::string> active = ActiveParams(space, values);
      bool changed = false;
      for (size_t d = 0; d < dims.size(); ++d) {
        bool is_active = std::binary_search(active.begin(), active.end(), dims[d].name);
        bool was_active = x[d] != dims[d].Inactive();
        if (is_active == was_active) continue;
        if (!is_active) x[d] = dims[d].Inactive();
        else x[d] = dims[d].kind == GpDimKind::kCategorical ? 0.0 : dims[d].Snap(0.5);
        changed = true;
      }
      if (!changed) return;
    }
  };
}

// The kernel the newest trial recorded for this many coordinates, if any.
std::optional<KernelParams> RecordedKernel(const StudySnapshot& study, size_t n_dims, double min_noise) {
  for (auto t = study.trials.rbegin(); t != study.trials.rend(); ++t) {
    auto it = t->system_attrs.find(kGpKernelAttr);
    if (it == t->system_attrs.end() || !it->is_array() || it->size() != n_dims + 2) continue;
    Eigen::VectorXd raw(n_dims + 2);
    bool ok = true;
    for (size_t i = 0; i < n_dims + 2; ++i) {
      ok = ok && (*it)[i].is_number() && std::isfinite((*it)[i].get<double>());
      if (ok) raw[i] = (*it)[i].get<double>();
    }
    if (ok) return ParamsOf(raw, min_noise);
  }
  return std::nullopt;
}

}  // namespace

bool IsFittable(const FrozenTrial& t) {
  return t.state == TrialState::kComplete && t.value && std::isfinite(*t.value);
}

bool CountsAsWorst(const FrozenTrial& t, StudyDirection direction) {
  if (t.params.empty()) return false;
  if (t.state == TrialState::kFail) return true;
  double bad = direction == StudyDirection::kMaximize ? -INFINITY : INFINITY;
  return t.state == TrialState::kComplete && t.value && *t.value == bad;
}

int CountFittableTrials(const StudySnapshot& study) {
  return static_cast<int>(std::count_if(study.trials.begin(), study.trials.end(), IsFittable));
}

SearchSpace GpSampler::InferRelativeSearchSpace(const StudySnapshot& study, const SearchSpace& space) const {
  if (CountFittableTrials(study) < std::max(options_.n_startup_trials, 1)) return {};
  // The parameters some complete trial has with the space's distribution; the
  // conditions come along, so the acquisition knows which are active where.
  SearchSpace relative;
  for (const auto& t : study.trials) {
    if (!IsFittable(t)) continue;
    for (const auto& [name, param] : t.params) {
      auto it = space.find(name);
      if (it != space.end() && it->second == param.distribution && !IsSingleValued(it->second))
        relative[name] = it->second;
    }
  }
  relative.conditions = space.conditions;
  return relative;
}

Result<RelativeSample> GpSampler::SampleRelative(const StudySnapshot& study, int trial_number,
                                                 const SearchSpace& relative_space,
                                                 const InternalParams&) const {
  RelativeSample sample;
  if (relative_space.empty()) return sample;
  if (study.IsMultiObjective())
    return Error::BadInput("gp sampler: a study of several objectives needs tpe or nsga2");
  std::vector<GpDim> dims = GpDimsOf(relative_space);
  MaternKernel kernel;
  for (const auto& dim : dims) kernel.categorical.push_back(dim.kind == GpDimKind::kCategorical);

  // Complete trials, minimised, and failed ones, in trial order; an infeasible,
  // failed or infinitely bad one is +inf, which the warping counts as bad as it
  // gets (output_warping.h), so the process learns to stay away from where trials
  // crash or diverge.
  double sign = study.direction == StudyDirection::kMaximize ? -1 : 1;
  std::vector<const FrozenTrial*> observed;
  std::vector<double> values;
  bool any_complete = false;
  for (const auto& t : study.trials) {
    bool failed = CountsAsWorst(t, study.direction);
    if (!IsFittable(t) && !failed) continue;
    observed.push_back(&t);
    values.push_back(failed || !IsFeasible(t) ? INFINITY : sign * *t.value);
    any_complete = any_complete || !failed;
  }
  if (!any_complete) return sample;

  // Past max_points: the best half and the most recent others.
  std::vector<size_t> keep(observed.size());
  std::iota(keep.begin(), keep.end(), 0);
  if (keep.size() > static_cast<size_t>(options_.max_points)) {
    size_t n_best = options_.max_points / 2;
    std::vector<size_t> by_value = keep;
    std::stable_sort(by_value.begin(), by_value.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    std::vector<bool> taken(observed.size(), false);
    for (size_t i = 0; i < n_best; ++i) taken[by_value[i]] = true;
    size_t left = options_.max_points - n_best;
    for (size_t i = observed.size(); i-- > 0 && left > 0;)
      if (!taken[i]) taken[i] = true, --left;
    keep.clear();
    for (size_t i = 0; i < observed.size(); ++i)
      if (taken[i]) keep.push_back(i);
  }

  const Eigen::Index n = static_cast<Eigen::Index>(keep.size());
  Eigen::MatrixXd x(n, dims.size());
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x.row(i) = UnitPoint(*observed[keep[i]], dims).transpose();
    y[i] = values[keep[i]];
  }
  y = WarpedTargets(y, options_.output_warping);

  GpFitOptions fit_options;
  fit_options.fit_noise = !options_.deterministic_objective;
  std::optional<KernelParams> start;
  if (options_.warm_start) start = RecordedKernel(study, dims.size(), fit_options.min_noise_var);
  GaussianProcess gp = GaussianProcess::Fit(kernel, x, y, start, fit_options);

  // Running trials (with their parameters drawn): believed to score the mean.
  std::vector<Eigen::VectorXd> running;
  for (const auto& t : study.trials)
    if (t.state == TrialState::kRunning && t.number != trial_number && !t.params.empty())
      running.push_back(UnitPoint(t, dims));
  Eigen::MatrixXd believed(running.size(), dims.size());
  for (size_t i = 0; i < running.size(); ++i) believed.row(i) = running[i].transpose();
  GaussianProcess model = gp.Believing(believed);

  // Every trial asked so far, when repeats are avoided: a deterministic objective
  // learns nothing from one, a noisy one little that a nearby point would not teach.
  Eigen::MatrixXd avoid(options_.avoid_repeats ? observed.size() + running.size() : 0, dims.size());
  if (options_.avoid_repeats) {
    for (size_t i = 0; i < observed.size(); ++i) avoid.row(i) = UnitPoint(*observed[i], dims).transpose();
    for (size_t i = 0; i < running.size(); ++i) avoid.row(observed.size() + i) = running[i].transpose();
  }
  Eigen::Index incumbent;
  double best = y.minCoeff(&incumbent);
  AcquisitionOptions acquisition;
  acquisition.n_candidates = options_.n_candidates;
  acquisition.n_local_searches = options_.n_local_searches;
  Rng rng = MakeRng(options_.seed, trial_number, "gp");
  Eigen::VectorXd point = MaximizeLogEi(model, dims, best, x.row(incumbent).transpose(), acquisition, rng,
                                        InactiveProjection(relative_space, dims), avoid);
  for (size_t d = 0; d < dims.size(); ++d) sample.params[dims[d].name] = dims[d].FromUnit(point[d]);

  if (options_.warm_start) {
    Eigen::VectorXd raw = RawOf(gp.params(), fit_options.min_noise_var);
    sample.system_attrs[kGpKernelAttr] = std::vector<double>(raw.data(), raw.data() + raw.size());
  }
  return sample;
}

Result<double> GpSampler::SampleIndependent(const StudySnapshot&, int trial_number, const std::string& name,
                                            const Distribution& distribution) const {
  Rng rng = MakeRng(options_.seed, trial_number, name);
  return SampleUniform(distribution, rng);
}

}  // namespace knob
