// What `knob run` tells the person watching, on stderr. On a terminal: a live
// line (trials done/total, running per GPU, pruned and failed counts, best value,
// elapsed, ETA) redrawn in place, with finished trials printed above it. In a
// pipe or file: one plain line per event. Called by the orchestrator only.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

namespace knob {

struct ProgressState {
  int done = 0;                // COMPLETE + PRUNED in the study
  std::optional<int> budget;   // n_trials
  int pruned = 0;              // in this run
  int failed = 0;              // in this run
  int done_this_run = 0;
  std::map<std::string, int> running;  // by slot label's device ("gpu 0", "cpu")
  std::optional<double> best;
  int best_number = -1;
  std::optional<int> front;    // several objectives: trials on the Pareto front
};

class Progress {
 public:
  Progress(FILE* out, bool live);
  // A line that stays (a finished trial, a warning).
  void Event(const std::string& line);
  // Redraws the live line (terminals only; at most every 100 ms unless forced).
  void Update(const ProgressState& state, bool force = false);
  // Clears the live line before the final words.
  void Close();
  double ElapsedSeconds() const;

 private:
  std::string StatusLine(const ProgressState& state) const;
  void ClearLine();

  FILE* out_;
  bool live_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  ProgressState last_;
};

}  // namespace knob
