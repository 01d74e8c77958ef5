#include "launcher/run/progress.h"

#include "base/duration.h"
#include "base/json_text.h"

namespace knob {

Progress::Progress(FILE* out, bool live) : out_(out), live_(live) {}

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::ClearLine() {
  if (live_ && drawn_) std::fputs("\r\033[K", out_);
  drawn_ = false;
}

void Progress::Event(const std::string& line) {
  ClearLine();
  std::fprintf(out_, "%s\n", line.c_str());
  if (live_) {
    std::fputs(StatusLine(last_).c_str(), out_);
    drawn_ = true;
  }
  std::fflush(out_);
}

std::string Progress::StatusLine(const ProgressState& s) const {
  std::string line = std::to_string(s.done) + (s.budget ? "/" + std::to_string(*s.budget) : "") + " done";
  int running = 0;
  std::string per_device;
  for (const auto& [device, n] : s.running) {
    running += n;
    if (n > 0) per_device += (per_device.empty() ? "" : " ") + device + ":" + std::to_string(n);
  }
  line += " | running " + std::to_string(running);
  if (!per_device.empty() && s.running.size() > 1) line += " [" + per_device + "]";
  line += " | pruned " + std::to_string(s.pruned) + " failed " + std::to_string(s.failed);
  if (s.front) line += " | front " + std::to_string(*s.front);
  else if (s.best) line += " | best " + DumpNumber(*s.best) + " (#" + std::to_string(s.best_number) + ")";
  double elapsed = ElapsedSeconds();
  line += " | " + ShortDuration(elapsed);
  if (s.budget && s.done_this_run > 0 && s.done < *s.budget)
    line += " eta " + ShortDuration(elapsed / s.done_this_run * (*s.budget - s.done));
  return line;
}

void Progress::Update(const ProgressState& state, bool force) {
  last_ = state;
  if (!live_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  ClearLine();
  std::fputs(StatusLine(state).c_str(), out_);
  drawn_ = true;
  std::fflush(out_);
}

void Progress::Close() {
  ClearLine();
  std::fflush(out_);
}

}  // namespace knob
