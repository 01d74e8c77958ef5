#include "search/distribution.h"

#include <cmath>
#include <map>
#include <mutex>
#include <sstream>

#include "base/json_text.h"

namespace knob {
namespace {

std::string Num(double x) {
  std::ostringstream out;
  out.precision(15);
  out << x;
  return out.str();
}

// Optuna's rule: (high - low) must be a whole number of steps.
bool StepDividesRange(double low, double high, double step) {
  double steps = (high - low) / step;
  return std::fabs(steps - std::round(steps)) <= 1e-9 * std::max(1.0, std::fabs(steps));
}

Status ValidateFloat(const std::string& name, const FloatDistribution& d) {
  if (!std::isfinite(d.low) || !std::isfinite(d.high))
    return Error::BadInput("parameter '" + name + "': low and high must be finite numbers");
  if (d.low > d.high)
    return Error::BadInput("parameter '" + name + "': low " + Num(d.low) + " is greater than high " +
                           Num(d.high));
  // Samplers scale by the width; past the largest double it would be infinite.
  if (!std::isfinite(d.high - d.low))
    return Error::BadInput("parameter '" + name + "': the range [" + Num(d.low) + ", " + Num(d.high) +
                           "] is wider than a double holds (high - low overflows)");
  if (d.log && d.step)
    return Error::BadInput("parameter '" + name + "': log and step cannot be used together");
  if (d.log && d.low <= 0)
    return Error::BadInput("parameter '" + name + "': log needs low > 0, got low " + Num(d.low));
  if (d.step) {
    double step = *d.step;
    if (!(step > 0) || !std::isfinite(step))
      return Error::BadInput("parameter '" + name + "': step must be a positive number, got " +
                             Num(step));
    // Samplers count steps in 64-bit integers, and past 2^53 doubles cannot keep them apart.
    if ((d.high - d.low) / step > 9e15)
      return Error::BadInput("parameter '" + name + "': step " + Num(step) + " makes " +
                             Num((d.high - d.low) / step) + " steps over [" + Num(d.low) + ", " +
                             Num(d.high) + "]; at most 9e15");
    if (!StepDividesRange(d.low, d.high, step)) {
      double fitted = d.low + std::floor((d.high - d.low) / step) * step;
      return Error::BadInput("parameter '" + name + "': step " + Num(step) + " does not divide [" +
                             Num(d.low) + ", " + Num(d.high) + "]; the last step ends at " +
                             Num(fitted));
    }
  }
  return {};
}

Status ValidateInt(const std::string& name, const IntDistribution& d) {
  if (d.low > d.high)
    return Error::BadInput("parameter '" + name + "': low " + std::to_string(d.low) +
                           " is greater than high " + std::to_string(d.high));
  if (d.step <= 0)
    return Error::BadInput("parameter '" + name + "': step must be a positive integer, got " +
                           std::to_string(d.step));
  if (d.log && d.step != 1)
    return Error::BadInput("parameter '" + name + "': log and step cannot be used together");
  if (d.log && d.low <= 0)
    return Error::BadInput("parameter '" + name + "': log needs low > 0, got low " +
                           std::to_string(d.low));
  if ((d.high - d.low) % d.step != 0) {
    int64_t fitted = d.low + (d.high - d.low) / d.step * d.step;
    return Error::BadInput("parameter '" + name + "': step " + std::to_string(d.step) +
                           " does not divide [" + std::to_string(d.low) + ", " +
                           std::to_string(d.high) + "]; the last step ends at " +
                           std::to_string(fitted));
  }
  return {};
}

Status ValidateCategorical(const std::string& name, const CategoricalDistribution& d) {
  if (d.choices.empty()) return Error::BadInput("parameter '" + name + "': choices is empty");
  for (size_t i = 0; i < d.choices.size(); ++i) {
    const auto& c = d.choices[i];
    if (!(c.is_string() || c.is_number() || c.is_boolean() || c.is_null()))
      return Error::BadInput("parameter '" + name + "': choice " + DumpJson(c) +
                             " is not a string, number, bool or null");
    if (c.is_number_float() && !std::isfinite(c.get<double>()))
      return Error::BadInput("parameter '" + name + "': choices must be finite numbers");
    for (size_t j = 0; j < i; ++j)
      if (d.choices[j] == c && d.choices[j].is_boolean() == c.is_boolean())
        return Error::BadInput("parameter '" + name + "': choice " + DumpJson(c) +
                               " appears more than once");
  }
  return {};
}

// Index of `external` among the choices; numbers compare by value, bools only with bools.
std::optional<size_t> ChoiceIndex(const CategoricalDistribution& d, const nlohmann::json& external) {
  for (size_t i = 0; i < d.choices.size(); ++i)
    if (d.choices[i] == external && d.choices[i].is_boolean() == external.is_boolean()) return i;
  return std::nullopt;
}

// One shared list per distinct choice list in the process. Entries live as long as
// the process: a study has few distinct lists.
std::shared_ptr<const std::vector<nlohmann::json>> Intern(std::vector<nlohmann::json> list) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const std::vector<nlohmann::json>>> pool;
  std::string key = nlohmann::json(list).dump();
  std::lock_guard lock(mutex);
  auto& entry = pool[key];
  if (!entry) entry = std::make_shared<const std::vector<nlohmann::json>>(std::move(list));
  return entry;
}

}  // namespace

Choices::Choices() : list_(Intern({})) {}
Choices::Choices(std::vector<nlohmann::json> list) : list_(Intern(std::move(list))) {}
Choices::Choices(std::initializer_list<nlohmann::json> list)
    : list_(Intern(std::vector<nlohmann::json>(list))) {}

bool IsSingleValued(const Distribution& distribution) {
  return std::visit(
      [](const auto& d) -> bool {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, CategoricalDistribution>) {
          return d.choices.size() == 1;
        } else {
          return d.low == d.high;
        }
      },
      distribution);
}

nlohmann::json ToExternal(const Distribution& distribution, double internal) {
  return std::visit(
      [internal](const auto& d) -> nlohmann::json {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, CategoricalDistribution>) {
          auto index = static_cast<size_t>(std::llround(internal));
          return index < d.choices.size() ? d.choices[index] : nlohmann::json();
        } else if constexpr (std::is_same_v<D, IntDistribution>) {
          return static_cast<int64_t>(std::llround(internal));
        } else {
          return internal;
        }
      },
      distribution);
}

Result<double> ToInternal(const std::string& name, const Distribution& distribution,
                          const nlohmann::json& external) {
  auto outside = [&] {
    return Error::BadInput("parameter '" + name + "': value " + DumpJson(external) +
                           " is outside its distribution");
  };
  if (const auto* c = std::get_if<CategoricalDistribution>(&distribution)) {
    auto index = ChoiceIndex(*c, external);
    if (!index) return outside();
    return static_cast<double>(*index);
  }
  if (!external.is_number() || external.is_boolean())
    return Error::BadInput("parameter '" + name + "': value " + DumpJson(external) +
                           " is not a number");
  double x = external.get<double>();
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    if (!(x >= f->low && x <= f->high)) return outside();
    return x;
  }
  const auto& i = std::get<IntDistribution>(distribution);
  if (x != std::floor(x))
    return Error::BadInput("parameter '" + name + "': value " + DumpJson(external) +
                           " is not an integer");
  auto v = static_cast<int64_t>(x);
  if (v < i.low || v > i.high || (v - i.low) % i.step != 0) return outside();
  return x;
}

Status Validate(const std::string& name, const Distribution& distribution) {
  return std::visit(
      [&name](const auto& d) -> Status {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, FloatDistribution>) return ValidateFloat(name, d);
        else if constexpr (std::is_same_v<D, IntDistribution>) return ValidateInt(name, d);
        else return ValidateCategorical(name, d);
      },
      distribution);
}

}  // namespace knob
