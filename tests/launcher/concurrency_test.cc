// Many real `knob` processes on one SQLite file at once.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include <nlohmann/json.hpp>

#include "studies/sqlite_storage.h"
#include "test_support.h"

namespace knob {

TEST_CASE("8 processes x 25 ask/tell pairs leave trials 0..199, each once, all COMPLETE") {
  testing::TempDir dir;
  std::string db = dir.File("c.db");
  REQUIRE(testing::RunKnob({"create-study", "--storage", db, "--study", "c", "--space",
                            R"({"x": {"type": "float", "low": 0, "high": 1}})"})
              .exit_code == 0);
  constexpr int kWorkers = 8, kPairs = 25;
  std::vector<pid_t> children;
  for (int w = 0; w < kWorkers; ++w) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // A worker: ask, then tell the value x + worker / 100, kPairs times.
      for (int i = 0; i < kPairs; ++i) {
        auto asked = testing::RunKnob({"ask", "--storage", db, "--study", "c"});
        if (asked.exit_code != 0) _exit(10);
        auto trial = nlohmann::json::parse(asked.out);
        double value = trial["params"]["x"].get<double>() + w / 100.0;
        auto told = testing::RunKnob({"tell", "--storage", db, "--study", "c", "--trial",
                                      std::to_string(trial["number"].get<int>()), "--value",
                                      std::to_string(value)});
        if (told.exit_code != 0) _exit(11);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto storage = SqliteStorage::Open(db, StorageAccess::kRead);
  REQUIRE(storage.ok());
  auto snapshot = (*storage)->ReadStudy((*storage)->FindStudy("c")->study_id);
  REQUIRE(snapshot.ok());
  REQUIRE(snapshot->trials.size() == kWorkers * kPairs);
  std::set<int> numbers;
  for (const auto& trial : snapshot->trials) {
    numbers.insert(trial.number);
    CHECK(trial.state == TrialState::kComplete);
    CHECK(trial.value.has_value());
    CHECK(trial.params.count("x") == 1);
  }
  CHECK(numbers.size() == kWorkers * kPairs);
  CHECK(*numbers.begin() == 0);
  CHECK(*numbers.rbegin() == kWorkers * kPairs - 1);
}

}  // namespace knob
