// The three kinds of parameter distribution (float, int, categorical) and the
// conversion between a parameter's external value (what a trainer sees, JSON) and
// its internal value (a double, as Optuna stores it: categoricals by choice index).
// Pure data; used by samplers, the study and the storages.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

struct FloatDistribution {
  double low = 0;
  double high = 0;
  bool log = false;
  std::optional<double> step;
  bool operator==(const FloatDistribution&) const = default;
};

struct IntDistribution {
  int64_t low = 0;
  int64_t high = 0;
  bool log = false;
  int64_t step = 1;
  bool operator==(const IntDistribution&) const = default;
};

// The choices of a categorical distribution: JSON scalars (strings, numbers, bools,
// null) in an immutable list that equal lists share (interned), so that the thousands
// of trials holding one distribution hold one list and compare by address.
class Choices {
 public:
  Choices();
  Choices(std::vector<nlohmann::json> list);                // NOLINT: implicit by design
  Choices(std::initializer_list<nlohmann::json> list);      // NOLINT: implicit by design

  const std::vector<nlohmann::json>& list() const { return *list_; }
  size_t size() const { return list_->size(); }
  bool empty() const { return list_->empty(); }
  const nlohmann::json& operator[](size_t i) const { return (*list_)[i]; }
  auto begin() const { return list_->begin(); }
  auto end() const { return list_->end(); }
  bool operator==(const Choices& other) const {
    return list_ == other.list_ || *list_ == *other.list_;
  }

 private:
  std::shared_ptr<const std::vector<nlohmann::json>> list_;
};

struct CategoricalDistribution {
  Choices choices;
  bool operator==(const CategoricalDistribution&) const = default;
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

// True when the distribution has only one possible value (nothing to sample).
bool IsSingleValued(const Distribution& distribution);

// The external value for an internal one (a categorical index becomes its choice).
nlohmann::json ToExternal(const Distribution& distribution, double internal);

// The internal value for an external one, or an error when the value is not in the
// distribution (`name` is used in the message).
Result<double> ToInternal(const std::string& name, const Distribution& distribution,
                          const nlohmann::json& external);

// Checks the invariants (low <= high, log needs low > 0, step fits the range,
// choices non-empty and distinct); the message names the parameter.
Status Validate(const std::string& name, const Distribution& distribution);

}  // namespace knob
