// Numerics of the standard normal and the truncated normal that the Parzen
// estimator needs: log CDF accurate in the far tails, the inverse CDF, the log of
// the mass between two points, and inverse-CDF sampling from a truncated normal.
// Pure functions; used by parzen_estimator.cc and pinned by tests.
#pragma once

namespace knob::truncnorm {

// log Phi(x), accurate for x far below zero.
double LogNdtr(double x);

// Phi^-1(p) for p in (0, 1).
double Ndtri(double p);

// log(Phi(b) - Phi(a)) for a < b, accurate when both lie in the same tail.
double LogGaussMass(double a, double b);

// The point z in [a, b] with P(Z <= z | a <= Z <= b) = u, Z standard normal.
double Ppf(double u, double a, double b);

}  // namespace knob::truncnorm
