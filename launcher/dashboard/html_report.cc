#include "launcher/dashboard/html_report.h"

#include <cstdio>
#include <filesystem>

#include "base/text_file.h"
#include "launcher/dashboard/dashboard_assets.h"
#include "launcher/dashboard/dashboard_routes.h"
#include "launcher/dashboard/study_view.h"

namespace knob {
namespace {

using Json = nlohmann::json;

constexpr int kTrialsWithLogs = 500;
constexpr size_t kReportTailBytes = 4 * 1024;
constexpr const char* kReportPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

// JSON safe inside a <script> element: no '<' can close it.
std::string ScriptSafeJson(const Json& value) {
  std::string text = WebJson(value), safe;
  safe.reserve(text.size());
  for (char c : text) {
    if (c == '<') safe += "\\u003c";
    else if (c == '>') safe += "\\u003e";
    else if (c == '&') safe += "\\u0026";
    else safe += c;
  }
  return safe;
}

// Replaces the text between `<!--knob:NAME-->` and `<!--/knob:NAME-->`.
bool ReplaceSection(std::string& page, const std::string& name, const std::string& with) {
  std::string open = "<!--knob:" + name + "-->", close = "<!--/knob:" + name + "-->";
  size_t a = page.find(open), b = page.find(close);
  if (a == std::string::npos || b == std::string::npos || b < a) return false;
  page.replace(a, b + close.size() - a, with);
  return true;
}

}  // namespace

Result<std::string> RenderHtmlReport(Storage& storage, const StudyRecord& study) {
  DashboardConfig config;
  config.only_study_id = study.study_id;
  config.file_tail_bytes = kReportTailBytes;
  DashboardRoutes routes(storage, config);
  Json answers = Json::object();
  // Asks the routes as a page would and keeps the answer under its request's path.
  auto ask = [&](const std::string& path, std::map<std::string, std::string> query = {}) -> Status {
    HttpRequest request{"GET", path, std::move(query), {{"host", "127.0.0.1"}}};
    HttpResponse response = routes.Handle(request);
    Json body = Json::parse(response.body, nullptr, false);
    if (body.is_discarded()) return Error::Runtime("the report's data for " + path + " is not JSON");
    if (response.status == 500) return Error::Runtime(body.value("error", std::string("reading the study failed")));
    std::string key = path;
    if (!request.query.empty()) {
      key += "?";
      for (const auto& [k, v] : request.query) key += (key.back() == '?' ? "" : "&") + k + "=" + v;
    }
    if (response.status == 200) answers[key] = body;
    return {};
  };
  std::string base = "/api/studies/" + std::to_string(study.study_id);
  KNOB_RETURN_IF_ERROR(ask("/api/config"));
  answers["/api/config"]["live"] = false;
  KNOB_RETURN_IF_ERROR(ask("/api/studies"));
  KNOB_RETURN_IF_ERROR(ask(base));
  for (size_t objective = 0; objective < std::max<size_t>(1, study.directions.size()); ++objective)
    KNOB_RETURN_IF_ERROR(ask(base + "/importance", {{"objective", std::to_string(objective)}}));
  // Every trial's detail and files, answered as the routes answer them
  // (study_view.h), from one read of the study rather than a request each.
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage.ReadStudy(study.study_id));
  for (size_t i = 0; i < snapshot.trials.size(); ++i) {
    const FrozenTrial& t = snapshot.trials[i];
    std::string trial = base + "/trials/" + std::to_string(t.number);
    Json detail = TrialDetailJson(t);
    if (snapshot.trials.size() - i <= static_cast<size_t>(kTrialsWithLogs))
      for (const auto& file : detail["files"])
        if (auto tail = TrialFileTail(t, file.get<std::string>(), kReportTailBytes); tail.ok())
          answers[trial + "/files/" + file.get<std::string>()] = *tail;
    answers[trial] = std::move(detail);
  }
  std::string page(DashboardAsset("index.html"));
  bool inlined =
      ReplaceSection(page, "policy",
                     std::string("<meta http-equiv=\"Content-Security-Policy\" content=\"") + kReportPolicy + "\">") &&
      ReplaceSection(page, "style", "<style>\n" + std::string(DashboardAsset("dashboard.css")) + "</style>") &&
      ReplaceSection(page, "data",
                     "<script type=\"application/json\" id=\"knob-report\">" + ScriptSafeJson(answers) + "</script>") &&
      ReplaceSection(page, "script", "<script>\n" + std::string(DashboardAsset("dashboard.js")) + "</script>");
  if (!inlined) return Error::Runtime("the dashboard page lacks the report's placeholders");
  return page;
}

Status WriteHtmlReport(Storage& storage, const StudyRecord& study, const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (path.empty() || path.back() == '/' || std::filesystem::is_directory(path, ec))
    return Error::BadInput("-o must name a file, got '" + path + "'");
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec))
    return Error::BadInput("-o: folder '" + folder.string() + "' does not exist");
  KNOB_ASSIGN_OR_RETURN(std::string page, RenderHtmlReport(storage, study));
  std::string temporary = path + ".tmp";
  KNOB_RETURN_IF_ERROR(WriteTextFile(temporary, page));
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return Error::Runtime("cannot write the report to '" + path + "'");
  }
  return {};
}

}  // namespace knob
