// End-to-end tests of the real `knob` binary on real SQLite files.
#include <doctest/doctest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace knob {
namespace {

using testing::RunKnob;
using nlohmann::json;

const char* kSpace =
    R"({"x": {"type": "float", "low": -5, "high": 5}, "n": {"type": "int", "low": 1, "high": 4},
        "opt": {"type": "categorical", "choices": ["adamw", "sgd"]}})";

json RunJson(const std::vector<std::string>& args) {
  auto r = RunKnob(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("knob --help and every command's --help succeed") {
  auto top = RunKnob({"--help"});
  CHECK(top.exit_code == 0);
  for (const char* command : {"create-study", "ask", "tell", "report", "enqueue", "set-user-attr",
                              "trials", "best-trial", "studies", "delete-study"}) {
    CHECK(top.out.find(command) != std::string::npos);
    auto r = RunKnob({command, "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage: knob " + std::string(command)) != std::string::npos);
    CHECK(r.out.find("--storage") != std::string::npos);
  }
}

TEST_CASE("an Optuna user's SQLite URL with SQLAlchemy's options names the file before the '?'") {
  testing::TempDir dir;
  std::string url = "sqlite:///" + dir.File("s.db") + "?timeout=30&check_same_thread=False";
  REQUIRE(RunKnob({"create-study", "--storage", url, "--study", "o"}).exit_code == 0);
  CHECK(std::filesystem::exists(dir.File("s.db")));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    CHECK(entry.path().filename().string().find('?') == std::string::npos);
  CHECK(RunKnob({"studies", "--storage", dir.File("s.db")}).out.find("o") != std::string::npos);
}

TEST_CASE("a study made with knob commands: ask, tell, enqueue, attributes, queries") {
  testing::TempDir dir;
  std::string db = "sqlite:///" + dir.File("s.db");
  std::vector<std::string> at{"--storage", db, "--study", "demo"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), at.begin(), at.end());
    return args;
  };
  auto created = RunKnob(with({"create-study", "--direction", "maximize", "--space", kSpace,
                               "--sampler-options", R"({"seed": 5})"}));
  REQUIRE(created.exit_code == 0);
  CHECK(created.out == "demo\n");

  json first = RunJson(with({"ask"}));
  CHECK(first["number"] == 0);
  CHECK(first["params"]["x"].get<double>() >= -5);
  CHECK(first["params"]["n"].is_number_integer());
  CHECK((first["params"]["opt"] == "adamw" || first["params"]["opt"] == "sgd"));
  REQUIRE(RunKnob(with({"set-user-attr", "--trial", "0", "--key", "note", "--value", "first"})).exit_code == 0);
  REQUIRE(RunKnob(with({"report", "--trial", "0", "--step", "1", "--value", "0.5"})).exit_code == 0);
  REQUIRE(RunKnob(with({"tell", "--trial", "0", "--value", "2.5"})).exit_code == 0);

  auto enqueued = RunKnob(with({"enqueue", "--params", R"({"x": 1.0, "opt": "sgd"})"}));
  REQUIRE(enqueued.exit_code == 0);
  CHECK(enqueued.out == "1\n");
  json second = RunJson(with({"ask"}));
  CHECK(second["number"] == 1);
  CHECK(second["params"]["x"] == 1.0);
  CHECK(second["params"]["opt"] == "sgd");
  REQUIRE(RunKnob(with({"tell", "--trial", "1", "--value", "7"})).exit_code == 0);

  json third = RunJson(with({"ask"}));
  CHECK(third["number"] == 2);
  REQUIRE(RunKnob(with({"tell", "--trial", "2", "--state", "fail"})).exit_code == 0);
  REQUIRE(RunKnob(with({"set-user-attr", "--key", "owner", "--json", R"({"team": 3})"})).exit_code == 0);

  json trials = RunJson(with({"trials", "--format", "json"}));
  REQUIRE(trials.size() == 3);
  CHECK(trials[0]["state"] == "COMPLETE");
  CHECK(trials[0]["value"] == 2.5);
  CHECK(trials[0]["user_attrs"]["note"] == "first");
  CHECK(trials[0]["intermediate_values"]["1"] == 0.5);
  CHECK(trials[0]["params"] == first["params"]);
  CHECK(trials[1]["value"] == 7);
  CHECK(trials[2]["state"] == "FAIL");
  CHECK(trials[2]["value"].is_null());

  json best = RunJson(with({"best-trial", "--format", "json"}));
  CHECK(best["number"] == 1);
  CHECK(best["value"] == 7);
  CHECK(best["params"]["opt"] == "sgd");

  auto csv = RunKnob(with({"trials", "--format", "csv", "--state", "complete"}));
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.rfind("number,state,value,datetime_start,datetime_complete,duration,params_n,params_opt,params_x", 0) == 0);
  CHECK(testing::LineCount(csv.out) == 3);

  auto table = RunKnob({"studies", "--storage", db});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("| demo | maximize  |        3 |          7 | auto    |") != std::string::npos);

  // Same seed, same history, same suggestion: a second study asks the same first point.
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "twin", "--space", kSpace,
                   "--sampler-options", R"({"seed": 5})"}).exit_code == 0);
  json twin = RunJson({"ask", "--storage", db, "--study", "twin"});
  CHECK(twin["params"] == first["params"]);
}

TEST_CASE("a seeded TPE, GP or auto study suggests the same in separate processes and files") {
  std::string sampler;
  SUBCASE("tpe") { sampler = "tpe"; }
  SUBCASE("gp") { sampler = "gp"; }
  SUBCASE("auto") { sampler = "auto"; }
  testing::TempDir dir;
  std::vector<std::string> runs[2];
  for (int r = 0; r < 2; ++r) {
    std::string db = dir.File(sampler + std::to_string(r) + ".db");
    REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "t", "--sampler", sampler,
                     "--sampler-options", R"({"seed": 11, "n_startup_trials": 4})", "--space", kSpace})
                .exit_code == 0);
    for (int i = 0; i < 10; ++i) {
      json t = RunJson({"ask", "--storage", db, "--study", "t"});
      runs[r].push_back(t["params"].dump());
      double x = t["params"]["x"].get<double>();
      REQUIRE(RunKnob({"tell", "--storage", db, "--study", "t", "--trial", std::to_string(i),
                       "--value", std::to_string(x * x)}).exit_code == 0);
    }
  }
  CHECK(runs[0] == runs[1]);
  CHECK(std::set<std::string>(runs[0].begin(), runs[0].end()).size() == 10);
}

TEST_CASE("create-study --if-exists leaves an existing study as it is") {
  testing::TempDir dir;
  std::string db = dir.File("s.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "a", "--space", kSpace}).exit_code == 0);
  REQUIRE(RunKnob({"ask", "--storage", db, "--study", "a"}).exit_code == 0);
  auto before = testing::DumpDatabase(db);
  auto again = RunKnob({"create-study", "--storage", db, "--study", "a", "--if-exists"});
  CHECK(again.exit_code == 0);
  CHECK(again.out == "a\n");
  CHECK(testing::DumpDatabase(db) == before);
}

TEST_CASE("a used-up grid answers exit code 3 with one line") {
  testing::TempDir dir;
  std::string db = dir.File("g.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "g", "--sampler", "grid", "--space",
                   R"({"a": {"type": "int", "low": 0, "high": 1}, "b": {"type": "categorical", "choices": [true, false]}})"})
              .exit_code == 0);
  std::set<std::string> points;
  for (int i = 0; i < 4; ++i) points.insert(RunJson({"ask", "--storage", db, "--study", "g"})["params"].dump());
  CHECK(points.size() == 4);
  auto done = RunKnob({"ask", "--storage", db, "--study", "g"});
  CHECK(done.exit_code == 3);
  CHECK(done.out.empty());
  CHECK(done.err == "knob: the grid of 4 points is used up: every point has a trial\n");
}

TEST_CASE("delete-study removes the study and its trials") {
  testing::TempDir dir;
  std::string db = dir.File("s.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "a", "--space", kSpace}).exit_code == 0);
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "b", "--space", kSpace}).exit_code == 0);
  REQUIRE(RunKnob({"ask", "--storage", db, "--study", "a"}).exit_code == 0);
  REQUIRE(RunKnob({"delete-study", "--storage", db, "--study", "a"}).exit_code == 0);
  auto gone = RunKnob({"trials", "--storage", db, "--study", "a"});
  CHECK(gone.exit_code == 2);
  CHECK(gone.err == "knob: no study named 'a' in " + db + "\n");
  json studies = RunJson({"studies", "--storage", db, "--format", "json"});
  REQUIRE(studies.size() == 1);
  CHECK(studies[0]["name"] == "b");
  CHECK(testing::DumpDatabase(db).find("[trial_params]\n[trial_system_attributes]") != std::string::npos);
}

TEST_CASE("best-trial on a study with no complete trial is a runtime failure") {
  testing::TempDir dir;
  std::string db = dir.File("s.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "a", "--space", kSpace}).exit_code == 0);
  auto r = RunKnob({"best-trial", "--storage", db, "--study", "a"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "knob: study 'a' has no COMPLETE trial yet\n");
}

}  // namespace knob
