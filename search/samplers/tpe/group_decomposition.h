// Splits parameters into groups that always appear together: every given set of
// names (one per past trial) is a union of whole groups. TPE draws each group
// jointly from the trials that have it, so conditional parameters (present only in
// some trials) do not cut the history of the others.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace knob {

std::vector<std::set<std::string>> DecomposeGroups(const std::vector<std::set<std::string>>& param_sets);

}  // namespace knob
