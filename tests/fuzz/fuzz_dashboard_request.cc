// libFuzzer target: what a browser (or anyone) can send the dashboard. The input's
// first line is the request target, the next ones the Host, Cookie and
// Authorization headers; the routes answer over an in-memory study (with a token
// and without). Every JSON answer must be valid JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "launcher/dashboard/dashboard_routes.h"
#include "launcher/dashboard/http_server.h"
#include "studies/memory_storage.h"

namespace {

knob::MemoryStorage& Study() {
  static knob::MemoryStorage* storage = [] {
    auto* s = new knob::MemoryStorage;
    int64_t id = *s->CreateStudy("s", knob::StudyDirection::kMinimize, nlohmann::json::object());
    for (int i = 0; i < 3; ++i) {
      (void)s->CreateTrial(id, knob::SnapshotParts::All(), [i](const knob::StudySnapshot&) -> knob::Result<knob::TrialPlan> {
        knob::TrialPlan plan;
        plan.params["x"] = knob::TrialParam{knob::FloatDistribution{0, 1, false, std::nullopt}, i / 3.0};
        return plan;
      });
      (void)s->SetTrialSystemAttrs(id, i, {{"knob:trial_dir", "/nonexistent/trial"}});
    }
    (void)s->SetIntermediateValue(id, 0, 1, 0.5);
    (void)s->FinishTrial(id, 0, knob::TrialState::kComplete, 0.25, nlohmann::json::object());
    (void)s->FinishTrial(id, 1, knob::TrialState::kComplete, 0.75, nlohmann::json::object());
    return s;
  }();
  return *storage;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string lines[4];
  size_t start = 0;
  for (int i = 0; i < 4 && start <= text.size(); ++i) {
    size_t end = text.find('\n', start);
    lines[i] = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  knob::HttpRequest request;
  request.method = "GET";
  if (!knob::ParseRequestTarget(lines[0], request)) return 0;
  request.headers["host"] = lines[1];
  if (!lines[2].empty()) request.headers["cookie"] = lines[2];
  if (!lines[3].empty()) request.headers["authorization"] = lines[3];
  knob::DashboardConfig open, guarded;
  guarded.token = "0123456789abcdef";
  for (const auto& config : {open, guarded}) {
    knob::DashboardRoutes routes(Study(), config);
    knob::HttpResponse response = routes.Handle(request);
    if (response.status < 200 || response.status > 599) __builtin_trap();
    if (response.content_type.rfind("application/json", 0) == 0 &&
        nlohmann::json::parse(response.body, nullptr, false).is_discarded())
      __builtin_trap();
  }
  return 0;
}
