#include "launcher/dashboard/dashboard_routes.h"

#include <fstream>
#include <vector>

#include "base/input_reader.h"
#include "launcher/dashboard/dashboard_assets.h"
#include "launcher/dashboard/study_view.h"
#include "search/importance/fanova.h"

namespace knob {
namespace {

using Json = nlohmann::json;

constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

HttpResponse JsonResponse(const Json& body, int status = 200) {
  return {status, "application/json; charset=utf-8", WebJson(body) + "\n", {{"Cache-Control", "no-store"}}};
}

HttpResponse ErrorResponse(const Error& error) {
  int status = error.kind == ErrorKind::kBadInput ? 404 : 500;
  return JsonResponse(Json{{"error", error.message}}, status);
}

HttpResponse Refuse(int status, const std::string& message) { return JsonResponse(Json{{"error", message}}, status); }

// Compares without stopping at the first difference (no timing oracle).
bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string CookieValue(const std::string& cookies, const std::string& name) {
  size_t pos = 0;
  while (pos < cookies.size()) {
    size_t end = cookies.find(';', pos);
    std::string pair = cookies.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    size_t start = pair.find_first_not_of(' ');
    if (start != std::string::npos) pair.erase(0, start);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return "";
}

bool IsLoopbackHost(const std::string& host_header) {
  std::string host = host_header;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> segments;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    std::string segment = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (!segment.empty()) segments.push_back(segment);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return segments;
}

std::string QueryValue(const HttpRequest& request, const std::string& key, const std::string& fallback = "") {
  auto it = request.query.find(key);
  return it == request.query.end() ? fallback : it->second;
}

}  // namespace

std::string NewDashboardToken() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[16] = {};
  random.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  static const char* hex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += hex[b >> 4];
    token += hex[b & 15];
  }
  return token;
}

std::optional<HttpResponse> DashboardRoutes::Refusal(const HttpRequest& request) const {
  if (config_.token.empty()) {
    auto host = request.headers.find("host");
    if (host == request.headers.end() || !IsLoopbackHost(host->second))
      return Refuse(403, "this dashboard answers only requests to 127.0.0.1 or localhost");
    return std::nullopt;
  }
  std::string given = QueryValue(request, "token");
  if (given.empty())
    if (auto auth = request.headers.find("authorization");
        auth != request.headers.end() && auth->second.rfind("Bearer ", 0) == 0)
      given = auth->second.substr(7);
  if (given.empty())
    if (auto cookies = request.headers.find("cookie"); cookies != request.headers.end())
      given = CookieValue(cookies->second, "knob_token");
  if (!SameSecret(given, config_.token)) return Refuse(401, "a token is required: open the URL knob dashboard printed");
  return std::nullopt;
}

HttpResponse DashboardRoutes::Handle(const HttpRequest& request) {
  if (auto refusal = Refusal(request)) return *refusal;
  for (const auto& segment : Segments(request.path))
    if (segment == ".." || segment == ".") return Refuse(400, "a path with '..' or '.' is refused");
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Security-Policy", kPagePolicy}};
  if (!config_.token.empty() && request.query.count("token"))
    headers.push_back({"Set-Cookie", "knob_token=" + config_.token + "; HttpOnly; SameSite=Strict; Path=/"});
  if (request.path == "/" || request.path == "/index.html")
    return {200, "text/html; charset=utf-8", std::string(DashboardAsset("index.html")), headers};
  if (request.path == "/assets/dashboard.js")
    return {200, "text/javascript; charset=utf-8", std::string(DashboardAsset("dashboard.js")), headers};
  if (request.path == "/assets/dashboard.css")
    return {200, "text/css; charset=utf-8", std::string(DashboardAsset("dashboard.css")), headers};
  if (request.path.rfind("/api/", 0) == 0) return Api(request);
  return Refuse(404, "no such page");
}

HttpResponse DashboardRoutes::Api(const HttpRequest& request) {
  std::vector<std::string> s = Segments(request.path);  // "api", ...
  if (s.size() == 2 && s[1] == "config")
    return JsonResponse(Json{{"study_id", config_.only_study_id ? Json(*config_.only_study_id) : Json()},
                             {"live", true}});
  if (s.size() == 2 && s[1] == "studies") {
    auto records = storage_.ListStudies();
    if (!records.ok()) return ErrorResponse(records.error());
    Json studies = Json::array();
    SnapshotParts parts = SnapshotParts::Minimal();
    parts.values = true;
    parts.times = true;
    for (const auto& record : *records) {
      if (config_.only_study_id && record.study_id != *config_.only_study_id) continue;
      auto snapshot = storage_.ReadStudy(record.study_id, parts);
      if (!snapshot.ok()) return ErrorResponse(snapshot.error());
      studies.push_back(StudySummaryJson(record, *snapshot));
    }
    return JsonResponse(Json{{"studies", studies}});
  }
  if (s.size() < 3 || s[1] != "studies") return Refuse(404, "no such API path");
  auto id = ParseInteger("study id", s[2]);
  if (!id.ok()) return Refuse(400, id.error().message);
  if (config_.only_study_id && *id != *config_.only_study_id) return Refuse(404, "no such study");
  auto records = storage_.ListStudies();
  if (!records.ok()) return ErrorResponse(records.error());
  const StudyRecord* record = nullptr;
  for (const auto& r : *records)
    if (r.study_id == *id) record = &r;
  if (!record) return Refuse(404, "no study with id " + std::to_string(*id));

  if (s.size() == 3) {
    Result<StudySnapshot> snapshot = Error::Runtime("unread");
    bool incremental = request.query.count("after") > 0;
    if (incremental) {
      auto changes = ParseCursor(QueryValue(request, "after"), QueryValue(request, "open"));
      if (!changes.ok()) return Refuse(400, changes.error().message);
      snapshot = storage_.ReadChangedTrials(*id, *changes);
    } else {
      snapshot = storage_.ReadStudy(*id);
    }
    if (!snapshot.ok()) return ErrorResponse(snapshot.error());
    auto ages = storage_.HeartbeatAges(*id);
    if (!ages.ok()) return ErrorResponse(ages.error());
    Json body = StudyTrialsJson(*record, *snapshot, *ages);
    body["incremental"] = incremental;
    return JsonResponse(body);
  }
  if (s.size() == 4 && s[3] == "importance") {
    auto objective = ParseInteger("objective", QueryValue(request, "objective", "0"));
    if (!objective.ok() || *objective < 0 || *objective >= static_cast<int64_t>(std::max<size_t>(1, record->directions.size())))
      return Refuse(400, "objective must name one of the study's objectives");
    auto snapshot = storage_.ReadStudy(*id);
    if (!snapshot.ok()) return ErrorResponse(snapshot.error());
    ImportanceOptions options;
    options.objective = static_cast<int>(*objective);
    auto importances = ParamImportances(*snapshot, options);
    if (!importances.ok()) return JsonResponse(Json{{"importances", Json::array()}, {"note", importances.error().message}});
    Json list = Json::array();
    for (const auto& p : *importances) list.push_back(Json{{"param", p.name}, {"importance", p.importance}});
    return JsonResponse(Json{{"importances", list}, {"method", "fANOVA"}});
  }
  if (s.size() >= 5 && s[3] == "trials") {
    auto number = ParseInteger("trial number", s[4]);
    if (!number.ok() || *number < 0 || *number > INT32_MAX) return Refuse(400, "bad trial number");
    auto trial = storage_.ReadTrial(*id, static_cast<int>(*number));
    if (!trial.ok()) return ErrorResponse(trial.error());
    if (s.size() == 5) return JsonResponse(TrialDetailJson(*trial));
    if (s.size() == 7 && s[5] == "files") {
      if (!IsServedTrialFile(s[6])) return Refuse(400, "the dashboard does not serve '" + s[6] + "'");
      auto tail = TrialFileTail(*trial, s[6], config_.file_tail_bytes);
      if (!tail.ok()) return Refuse(404, tail.error().message);
      return JsonResponse(*tail);
    }
  }
  return Refuse(404, "no such API path");
}

}  // namespace knob
