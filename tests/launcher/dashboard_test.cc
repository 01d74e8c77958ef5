// The dashboard's server side (launcher/dashboard/): what its API answers over a
// real SQLite study, who it refuses, which files it serves, that the report
// embeds hostile text as data only, and the HTTP server over a real socket.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "launcher/dashboard/dashboard_routes.h"
#include "launcher/dashboard/html_report.h"
#include "launcher/dashboard/http_server.h"
#include "launcher/dashboard/study_view.h"
#include "studies/sqlite_storage.h"
#include "test_support.h"

namespace knob {
namespace {

using Json = nlohmann::json;
const std::string kHostile = "<script>alert(1)</script>";

struct DashboardStudy {
  testing::TempDir dir;
  std::unique_ptr<SqliteStorage> storage;
  int64_t id = -1;

  DashboardStudy() {
    storage = std::move(SqliteStorage::Open(dir.File("s.db"), StorageAccess::kCreate)).value();
    id = *storage->CreateStudy(kHostile, StudyDirection::kMinimize, Json::object());
    for (int i = 0; i < 3; ++i) {
      auto created = storage->CreateTrial(id, SnapshotParts::All(), [i](const StudySnapshot&) -> Result<TrialPlan> {
        TrialPlan plan;
        plan.params["x"] = TrialParam{FloatDistribution{0, 10, false, std::nullopt}, static_cast<double>(i)};
        plan.params["kind"] = TrialParam{CategoricalDistribution{{"a", kHostile}}, 1};
        return plan;
      });
      REQUIRE(created.ok());
      std::filesystem::create_directories(dir.path() / ("trial-" + std::to_string(i)));
      REQUIRE(storage->SetTrialSystemAttrs(id, i, {{"knob:trial_dir", dir.File("trial-" + std::to_string(i))}}).ok());
    }
    REQUIRE(storage->SetTrialUserAttr(id, 0, "note", kHostile).ok());
    REQUIRE(storage->SetIntermediateValue(id, 0, 1, 2.5).ok());
    REQUIRE(storage->FinishTrial(id, 0, TrialState::kComplete, INFINITY, Json::object()).ok());
    REQUIRE(storage->FinishTrial(id, 1, TrialState::kFail, std::nullopt, {{"knob:fail_reason", kHostile}}).ok());
  }
};

HttpResponse Get(DashboardRoutes& routes, const std::string& path, std::map<std::string, std::string> query = {},
                 std::map<std::string, std::string> headers = {{"host", "127.0.0.1:8080"}}) {
  return routes.Handle(HttpRequest{"GET", path, std::move(query), std::move(headers)});
}

Json Body(const HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  return body;
}

}  // namespace

TEST_CASE("dashboard: the API lists studies and a study's trials, and a poll brings only what changed") {
  DashboardStudy s;
  DashboardRoutes routes(*s.storage, {});
  auto studies = Get(routes, "/api/studies");
  REQUIRE(studies.status == 200);
  Json list = Body(studies)["studies"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == kHostile);
  CHECK(list[0]["counts"]["COMPLETE"] == 1);
  CHECK(list[0]["counts"]["FAIL"] == 1);
  CHECK(list[0]["counts"]["RUNNING"] == 1);
  CHECK(list[0]["best"]["value"] == "Infinity");  // JSON cannot hold it; the page reads the string

  std::string path = "/api/studies/" + std::to_string(s.id);
  Json full = Body(Get(routes, path));
  REQUIRE(full["trials"].size() == 3);
  CHECK(full["trials"][0]["values"][0] == "Infinity");
  CHECK(full["trials"][0]["intermediate"] == Json::parse("[[1, 2.5]]"));
  CHECK(full["trials"][1]["fail_reason"] == kHostile);
  CHECK(full["params"]["kind"]["choices"][1] == kHostile);
  CHECK(full["incremental"] == false);
  Json cursor = full["cursor"];
  CHECK(cursor["open"].size() == 1);  // trial 2 runs

  // Nothing changed: the poll brings just the running trial (it may have).
  auto query = [&](const Json& c) {
    std::string open;
    for (const auto& id : c["open"]) open += (open.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
    return std::map<std::string, std::string>{{"after", std::to_string(c["after"].get<int64_t>())}, {"open", open}};
  };
  Json quiet = Body(Get(routes, path, query(cursor)));
  CHECK(quiet["incremental"] == true);
  REQUIRE(quiet["trials"].size() == 1);
  CHECK(quiet["trials"][0]["number"] == 2);
  // Trial 2 reports and a new trial starts: both come, nothing else.
  REQUIRE(s.storage->SetIntermediateValue(s.id, 2, 3, 0.5).ok());
  REQUIRE(s.storage->CreateTrial(s.id, SnapshotParts::All(), [](const StudySnapshot&) -> Result<TrialPlan> {
    return TrialPlan{};
  }).ok());
  Json poll = Body(Get(routes, path, query(cursor)));
  REQUIRE(poll["trials"].size() == 2);
  CHECK(poll["trials"][0]["number"] == 2);
  CHECK(poll["trials"][0]["intermediate"] == Json::parse("[[3, 0.5]]"));
  CHECK(poll["trials"][1]["number"] == 3);

  CHECK(Get(routes, path, {{"after", "x"}}).status == 400);
  CHECK(Get(routes, path, {{"after", "1"}, {"open", "1,,2"}}).status == 400);
  CHECK(Get(routes, "/api/studies/99").status == 404);
  CHECK(Get(routes, "/api/studies/abc").status == 400);
  CHECK(Get(routes, "/api/nothing").status == 404);
  Json failed = Body(Get(routes, path + "/trials/1"));
  CHECK(failed["state"] == "FAIL");
  CHECK(failed["fail_reason"] == kHostile);
  CHECK(Get(routes, path + "/trials/7").status == 404);
  CHECK(Get(routes, path + "/trials/-1").status == 400);
}

TEST_CASE("dashboard: a trial's detail, and the files of its folder it serves (and those it refuses)") {
  DashboardStudy s;
  DashboardRoutes routes(*s.storage, {});
  std::string trial = "/api/studies/" + std::to_string(s.id) + "/trials/0";
  std::ofstream(s.dir.File("trial-0/trainer.log")) << "line one\n";
  std::ofstream(s.dir.File("secret.txt")) << "not for the browser\n";
  std::filesystem::create_symlink(s.dir.File("secret.txt"), s.dir.File("trial-0/metrics.json"));

  Json detail = Body(Get(routes, trial));
  CHECK(detail["number"] == 0);
  CHECK(detail["user_attrs"]["note"] == kHostile);
  CHECK(detail["files"] == Json::array({"trainer.log"}));  // the link is not offered
  std::ofstream(s.dir.File("trial-0/trainer.rank1.log")) << "rank one\n";
  std::ofstream(s.dir.File("trial-0/notes.txt")) << "not served\n";
  CHECK(Body(Get(routes, trial))["files"] == Json::array({"trainer.log", "trainer.rank1.log"}));
  Json log = Body(Get(routes, trial + "/files/trainer.log"));
  CHECK(log["text"] == "line one\n");
  CHECK(log["truncated"] == false);

  auto linked = Get(routes, trial + "/files/metrics.json");
  CHECK(linked.status == 404);
  CHECK(linked.body.find("not for the browser") == std::string::npos);
  for (std::string bad : {"/files/../secret.txt", "/files/..", "/files/secret.txt", "/files/.trainer.log",
                          "/files/trainer.log/x"}) {
    CAPTURE(bad);
    auto refused = Get(routes, trial + bad);
    CHECK(refused.status >= 400);
    CHECK(refused.body.find("not for the browser") == std::string::npos);
  }
  CHECK(Get(routes, trial + "/files/../../secret.txt").status == 400);

  // A big log with invalid UTF-8: its tail, from a line start, as valid JSON.
  {
    std::ofstream big(s.dir.File("trial-0/trainer.log"));
    for (int i = 0; i < 5000; ++i) big << "line " << i << " \xff\xfe padding padding padding\n";
  }
  Json tail = Body(Get(routes, trial + "/files/trainer.log"));
  CHECK(tail["truncated"] == true);
  std::string text = tail["text"];
  CHECK(text.size() <= 64 * 1024 * 3);
  CHECK(text.rfind("line ", 0) == 0);
  CHECK(text.find("line 4999 ") != std::string::npos);
}

TEST_CASE("dashboard: served file names are a fixed set; everything else is refused before the disk") {
  for (std::string ok : {"trainer.log", "trainer.rank1.log", "trainer.rank12.log", "metrics.json", "params.json"})
    CHECK(IsServedTrialFile(ok));
  for (std::string bad : {"", ".", "..", "../trainer.log", "trainer.log/..", "/etc/passwd", "trainer.rank.log",
                          "trainer.rankx.log", "metrics.json.bak", "METRICS.JSON", "trainer.log\n", "a/metrics.json",
                          "trainer.rank123456.log"})
    CHECK_FALSE(IsServedTrialFile(bad));
}

TEST_CASE("dashboard: without a token only loopback Host headers are answered; with one, only its bearers") {
  DashboardStudy s;
  DashboardRoutes open(*s.storage, {});
  CHECK(Get(open, "/api/config").status == 200);
  CHECK(Get(open, "/api/config", {}, {{"host", "localhost:9"}}).status == 200);
  CHECK(Get(open, "/api/config", {}, {{"host", "[::1]:9"}}).status == 200);
  CHECK(Get(open, "/api/config", {}, {{"host", "evil.example:8080"}}).status == 403);
  CHECK(Get(open, "/api/config", {}, {{"host", "127.0.0.1.evil.example"}}).status == 403);
  CHECK(Get(open, "/api/config", {}, {}).status == 403);

  DashboardConfig config;
  config.token = "0123456789abcdef0123";
  DashboardRoutes guarded(*s.storage, config);
  std::map<std::string, std::string> remote{{"host", "10.0.0.5:8080"}};
  CHECK(Get(guarded, "/", {}, remote).status == 401);
  CHECK(Get(guarded, "/api/studies", {}, remote).status == 401);
  CHECK(Get(guarded, "/api/studies", {{"token", "0123456789abcdef0124"}}, remote).status == 401);
  auto page = Get(guarded, "/", {{"token", config.token}}, remote);
  CHECK(page.status == 200);
  bool cookie = false;
  for (const auto& [name, value] : page.headers)
    if (name == "Set-Cookie") cookie = value.find("knob_token=" + config.token) == 0 && value.find("HttpOnly") != std::string::npos;
  CHECK(cookie);
  auto with = [&](const std::string& header, const std::string& value) {
    auto headers = remote;
    headers[header] = value;
    return Get(guarded, "/api/studies", {}, headers).status;
  };
  CHECK(with("authorization", "Bearer " + config.token) == 200);
  CHECK(with("authorization", "Bearer wrong") == 401);
  CHECK(with("cookie", "theme=dark; knob_token=" + config.token) == 200);
  CHECK(with("cookie", "knob_token=" + config.token.substr(1)) == 401);
  CHECK(NewDashboardToken().size() == 32);
  CHECK(NewDashboardToken() != NewDashboardToken());
}

TEST_CASE("dashboard: the report holds hostile text only as escaped data, and opens with no network") {
  DashboardStudy s;
  auto record = s.storage->FindStudy(kHostile);
  REQUIRE(record.ok());
  auto page = RenderHtmlReport(*s.storage, *record);
  REQUIRE(page.ok());
  size_t scripts = 0;
  for (size_t at = page->find("<script"); at != std::string::npos; at = page->find("<script", at + 1)) ++scripts;
  CHECK(scripts == 2);  // the embedded data and the page's code; the study's text is \u003cscript...
  CHECK(page->find("\\u003cscript\\u003ealert(1)") != std::string::npos);
  CHECK(page->find("connect-src") == std::string::npos);
  CHECK(page->find("default-src 'none'") != std::string::npos);
  CHECK(page->find("assets/dashboard.js") == std::string::npos);  // inlined, nothing to fetch
  CHECK(page->find("\"/api/studies/" + std::to_string(s.id) + "/trials/1\"") != std::string::npos);

  testing::TempDir out;
  REQUIRE(WriteHtmlReport(*s.storage, *record, out.File("r.html")).ok());
  CHECK(std::filesystem::file_size(out.File("r.html")) == page->size());
  CHECK_FALSE(std::filesystem::exists(out.File("r.html.tmp")));
  auto refused = WriteHtmlReport(*s.storage, *record, out.File("missing/dir/r.html"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kBadInput);
  CHECK(refused.error().message == "-o: folder '" + out.File("missing/dir") + "' does not exist");
  CHECK(WriteHtmlReport(*s.storage, *record, out.path().string()).error().kind == ErrorKind::kBadInput);
  CHECK_FALSE(std::filesystem::exists(out.File("missing")));
}

TEST_CASE("dashboard: URL parts are percent-decoded strictly") {
  CHECK(DecodeUrlPart("a%20b", false) == "a b");
  CHECK(DecodeUrlPart("a+b", true) == "a b");
  CHECK(DecodeUrlPart("a+b", false) == "a+b");
  CHECK(DecodeUrlPart("%2e%2E", false) == "..");
  CHECK_FALSE(DecodeUrlPart("%", false).has_value());
  CHECK_FALSE(DecodeUrlPart("%4", false).has_value());
  CHECK_FALSE(DecodeUrlPart("%zz", false).has_value());
  CHECK_FALSE(DecodeUrlPart("%ff%fe", false).has_value());  // not UTF-8
}

namespace {

// One request on a fresh connection; the raw response.
std::string Exchange(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  ::shutdown(fd, SHUT_WR);
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  ::close(fd);
  return response;
}

}  // namespace

TEST_CASE("dashboard: the HTTP server answers GET and HEAD, refuses the rest, and survives garbage") {
  boost::asio::io_context io;
  int handled = 0;
  auto server = HttpServer::Listen(io, "127.0.0.1", 0, [&](const HttpRequest& r) {
    ++handled;
    return HttpResponse{200, "text/plain", "path=" + r.path + " q=" + (r.query.count("a") ? r.query.at("a") : "") +
                                               " host=" + (r.headers.count("host") ? r.headers.at("host") : "")};
  });
  REQUIRE(server.ok());
  uint16_t port = (*server)->port();
  REQUIRE(port != 0);
  std::thread loop([&] { io.run(); });

  std::string ok = Exchange(port, "GET /x%20y?a=1+2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(ok.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(ok.find("path=/x y q=1 2 host=127.0.0.1") != std::string::npos);
  CHECK(ok.find("X-Content-Type-Options: nosniff") != std::string::npos);
  std::string head = Exchange(port, "HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(head.find("path=") == std::string::npos);
  // Two requests on one kept-alive connection.
  std::string two = Exchange(port, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  CHECK(two.find("path=/1") != std::string::npos);
  CHECK(two.find("path=/2") != std::string::npos);
  CHECK(Exchange(port, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").rfind("HTTP/1.1 405", 0) == 0);
  CHECK(Exchange(port, "DELETE / HTTP/1.1\r\nHost: h\r\n\r\n").rfind("HTTP/1.1 405", 0) == 0);
  CHECK(Exchange(port, "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(Exchange(port, "GET /a HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n")
            .rfind("HTTP/1.1 400", 0) == 0);
  CHECK(Exchange(port, "\x01\x02 garbage\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(Exchange(port, "").empty());
  int before = handled;
  CHECK(Exchange(port, "GET /still HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").find("path=/still") != std::string::npos);
  CHECK(handled == before + 1);

  boost::asio::post(io, [&] { (*server)->Stop(); });
  loop.join();
  auto busy = HttpServer::Listen(io, "not an address", 0, {});
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().kind == ErrorKind::kBadInput);
}

}  // namespace knob
