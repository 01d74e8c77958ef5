#include "search/samplers/rng.h"

namespace knob {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

Rng MakeRng(std::optional<uint64_t> seed, int trial_number, const std::string& salt) {
  if (!seed) {
    std::random_device device;
    std::seed_seq seq{device(), device(), device(), device()};
    return Rng(seq);
  }
  uint64_t s = SplitMix64(*seed);
  s = SplitMix64(s ^ static_cast<uint64_t>(trial_number));
  s = SplitMix64(s ^ Fnv1a(salt));
  return Rng(s);
}

double Uniform01(Rng& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace knob
