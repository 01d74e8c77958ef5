// The Gaussian-process sampler's view of a search space: every parameter as one
// coordinate in [0, 1]. Floats and ints are scaled linearly (log parameters in log
// space); an int or stepped float is a grid of k points at the centres of k equal
// cells, so rounding a coordinate to its cell is rounding the value to its step. A
// categorical is its choice index, compared by equality (the kernel's Hamming term).
// A parameter a trial lacks sits at its own place (Inactive), so the kernel tells
// trials that had it from those that did not.
#pragma once

#include <string>
#include <vector>

#include "search/search_space.h"

namespace knob {

enum class GpDimKind { kContinuous, kDiscrete, kCategorical };

struct GpDim {
  std::string name;
  Distribution distribution;
  GpDimKind kind = GpDimKind::kContinuous;
  int grid = 0;  // kDiscrete: number of grid points; kCategorical: number of choices

  // The coordinate of an internal value, and back (snapped to the step or choice).
  double ToUnit(double internal) const;
  double FromUnit(double unit) const;
  // The nearest point the parameter can take (a cell centre, a choice index).
  double Snap(double unit) const;
  // The unit coordinate of grid point i (kDiscrete), or i itself (kCategorical).
  double GridPoint(int i) const;
  // The coordinate of a trial that lacks the parameter (an inactive conditional):
  // -1, outside the cube, or for a categorical one more choice than it has.
  double Inactive() const { return kind == GpDimKind::kCategorical ? grid : -1.0; }
};

// One GpDim per parameter of `space` (sorted by name, as the space is).
std::vector<GpDim> GpDimsOf(const SearchSpace& space);

}  // namespace knob
