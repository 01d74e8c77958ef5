// The logarithm of expected improvement, computed so that it stays finite and
// accurate far from the incumbent. For minimisation with posterior mean mu and
// standard deviation sigma, z = (best - mu) / sigma and
// EI = sigma * h(z), h(z) = z Phi(z) + phi(z). log h uses erfcx for z < -1 and the
// asymptotic series phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6) below -25.
#pragma once

namespace knob {

// log h(z), and d log h / dz (= Phi(z) / h(z)) when `derivative` is not null.
double LogH(double z, double* derivative = nullptr);

// Scaled complementary error function exp(x^2) erfc(x), accurate for large x.
double Erfcx(double x);

}  // namespace knob
