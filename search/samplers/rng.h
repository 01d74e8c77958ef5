// Random streams for samplers: a seeded stream is a pure function of (seed, trial
// number, parameter name), so any process asking for the same trial of the same
// study draws the same values; an unseeded one comes from std::random_device.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace knob {

using Rng = std::mt19937_64;

// A stream for one draw site. `salt` separates the sites of one trial (a parameter
// name, or "grid"); with no seed the stream is nondeterministic.
Rng MakeRng(std::optional<uint64_t> seed, int trial_number, const std::string& salt);

// A uniform double in [0, 1).
double Uniform01(Rng& rng);

}  // namespace knob
