#include "trainer/knob_client.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/input_reader.h"
#include "base/json_text.h"

namespace knob {

KnobClient KnobClient::FromEnvironment() {
  const char* fd = std::getenv("KNOB_CONTROL_FD");
  return KnobClient(fd ? std::atoi(fd) : -1);
}

void KnobClient::Send(const nlohmann::json& message) {
  std::string line = DumpJson(message) + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(fd_, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

bool KnobClient::Report(int64_t step, double value, const nlohmann::json& metrics) {
  if (!connected()) return false;
  Send({{"type", "report"}, {"step", step}, {"value", value}, {"metrics", metrics}});
  std::string answer;
  char c;
  while (read(fd_, &c, 1) == 1 && c != '\n') answer += c;
  auto decision = ParseJsonText("knob decision", answer);
  if (!decision.ok() || !decision->is_object()) return true;  // knob is gone: stop
  if (decision->value("type", "") == "error") {
    std::fprintf(stderr, "knob-train: knob refused a report: %s\n", decision->value("message", "").c_str());
    return false;
  }
  return decision->value("prune", false);
}

void KnobClient::Result(double value, const nlohmann::json& metrics) {
  if (connected()) {
    Send({{"type", "result"}, {"value", value}, {"metrics", metrics}});
    return;
  }
  std::printf("{\"knob_result\": %s}\n", DumpNumber(value).c_str());
}

}  // namespace knob
