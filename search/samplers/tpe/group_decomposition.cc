#include "search/samplers/tpe/group_decomposition.h"

#include <algorithm>

namespace knob {

std::vector<std::set<std::string>> DecomposeGroups(const std::vector<std::set<std::string>>& param_sets) {
  std::vector<std::set<std::string>> groups;
  for (const auto& names : param_sets) {
    if (names.empty()) continue;
    std::vector<std::set<std::string>> next;
    std::set<std::string> covered;
    for (const auto& group : groups) {
      std::set<std::string> inside, outside;
      for (const auto& name : group) (names.count(name) ? inside : outside).insert(name);
      if (!inside.empty()) next.push_back(inside);
      if (!outside.empty()) next.push_back(outside);
      covered.insert(group.begin(), group.end());
    }
    std::set<std::string> fresh;
    std::set_difference(names.begin(), names.end(), covered.begin(), covered.end(),
                        std::inserter(fresh, fresh.end()));
    if (!fresh.empty()) next.push_back(fresh);
    groups = std::move(next);
  }
  return groups;
}

}  // namespace knob
