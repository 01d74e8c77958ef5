// BBOB-like continuous functions (after the COCO noiseless suite): each over
// [-5, 5]^d with a seeded optimum x_opt in [-4, 4]^d and, where the suite rotates,
// a seeded rotation; optimum value 0. Dimensions from 2 to 20. Family "bbob".
#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "objective_set.h"

namespace knob_bench {
namespace {

struct Shape {
  int d;
  std::vector<double> x_opt;
  std::vector<std::vector<double>> rotation;  // empty: none
};

std::shared_ptr<Shape> MakeShape(const std::string& name, int d, bool rotate) {
  auto shape = std::make_shared<Shape>();
  shape->d = d;
  std::mt19937_64 rng(std::hash<std::string>{}(name) ^ 0x5eedULL);
  std::uniform_real_distribution<double> u(-4, 4);
  for (int i = 0; i < d; ++i) shape->x_opt.push_back(u(rng));
  if (rotate) {
    std::normal_distribution<double> normal(0, 1);
    auto& q = shape->rotation;
    for (int i = 0; i < d; ++i) {
      std::vector<double> v(d);
      for (auto& e : v) e = normal(rng);
      for (const auto& prev : q) {  // Gram-Schmidt
        double dot = 0;
        for (int k = 0; k < d; ++k) dot += v[k] * prev[k];
        for (int k = 0; k < d; ++k) v[k] -= dot * prev[k];
      }
      double norm = 0;
      for (double e : v) norm += e * e;
      for (auto& e : v) e /= std::sqrt(norm);
      q.push_back(v);
    }
  }
  return shape;
}

// z = R (x - x_opt), or x - x_opt without a rotation.
std::vector<double> Z(const Shape& s, const double* x) {
  std::vector<double> t(s.d), z(s.d);
  for (int i = 0; i < s.d; ++i) t[i] = x[i] - s.x_opt[i];
  if (s.rotation.empty()) return t;
  for (int i = 0; i < s.d; ++i)
    for (int k = 0; k < s.d; ++k) z[i] += s.rotation[i][k] * t[k];
  return z;
}

double Conditioning(int i, int d, double base) { return d == 1 ? 1 : std::pow(base, static_cast<double>(i) / (d - 1)); }

std::string Info(const std::string& name, int d) {
  std::string space = "{";
  for (int i = 0; i < d; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "x%02d", i);  // sorted names keep the order
    space += std::string(i ? ", " : "") + "\"" + key + "\": {\"type\": \"float\", \"low\": -5, \"high\": 5}";
  }
  return "{\"name\": \"" + name + "\", \"optimum\": 0, \"holdout\": true, \"family\": \"bbob\", \"space\": " +
         space + "}}";
}

Objective Make(const std::string& base, int d, bool rotate, std::function<double(const std::vector<double>&)> f) {
  std::string name = base + std::to_string(d);
  auto shape = MakeShape(name, d, rotate);
  return {Info(name, d), [shape, f](const double* x) { return f(Z(*shape, x)); }};
}

}  // namespace

std::vector<Objective> BbobObjectives() {
  std::vector<Objective> all;
  all.push_back(Make("bbob_sphere", 20, false, [](const std::vector<double>& z) {
    double s = 0;
    for (double v : z) s += v * v;
    return s;
  }));
  all.push_back(Make("bbob_ellipsoid", 10, true, [](const std::vector<double>& z) {
    double s = 0;
    for (size_t i = 0; i < z.size(); ++i) s += Conditioning(i, z.size(), 1e6) * z[i] * z[i];
    return s;
  }));
  all.push_back(Make("bbob_rosenbrock", 5, false, [](const std::vector<double>& z) {
    double c = std::max(1.0, std::sqrt(static_cast<double>(z.size())) / 8), s = 0;
    for (size_t i = 0; i + 1 < z.size(); ++i) {
      double a = c * z[i] + 1, b = c * z[i + 1] + 1;
      s += 100 * std::pow(a * a - b, 2) + std::pow(a - 1, 2);
    }
    return s;
  }));
  all.push_back(Make("bbob_rastrigin", 5, true, [](const std::vector<double>& z) {
    double s = 10.0 * z.size();
    for (double v : z) s += v * v - 10 * std::cos(2 * M_PI * v);
    return s;
  }));
  all.push_back(Make("bbob_bent_cigar", 8, true, [](const std::vector<double>& z) {
    double s = z[0] * z[0];
    for (size_t i = 1; i < z.size(); ++i) s += 1e6 * z[i] * z[i];
    return s;
  }));
  all.push_back(Make("bbob_sharp_ridge", 10, true, [](const std::vector<double>& z) {
    double s = 0;
    for (size_t i = 1; i < z.size(); ++i) s += z[i] * z[i];
    return z[0] * z[0] + 100 * std::sqrt(s);
  }));
  all.push_back(Make("bbob_different_powers", 2, true, [](const std::vector<double>& z) {
    double s = 0;
    for (size_t i = 0; i < z.size(); ++i) s += std::pow(std::fabs(z[i]), 2 + 4.0 * i / std::max<size_t>(z.size() - 1, 1));
    return std::sqrt(s);
  }));
  all.push_back(Make("bbob_attractive_sector", 3, true, [](const std::vector<double>& z) {
    double s = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      double scale = z[i] > 0 ? 100 : 1;  // steeper on one side of the optimum
      s += scale * scale * z[i] * z[i];
    }
    return std::pow(s, 0.9);
  }));
  return all;
}

}  // namespace knob_bench
