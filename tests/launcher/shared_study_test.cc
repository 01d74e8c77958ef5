// Several `knob run` workers on one PostgreSQL study, as on several GPU hosts:
// together they finish exactly the budget, and the death of one of them costs
// nothing but the trials it was running, which the others fail and retry.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "studies/postgres_storage.h"
#include "test_support.h"

namespace knob {
namespace {

struct SharedStudy {
  testing::TempDir dir;
  std::string database, url;
  SharedStudy(const std::string& name) {
    auto base = testing::PostgresTestUrl();
    REQUIRE_MESSAGE(base, "set KNOB_TEST_POSTGRES_URL (scripts/test.sh starts a server)");
    database = name + "_" + std::to_string(getpid());
    url = testing::CreatePostgresDatabase(*base, database);
    std::ofstream(dir.File("study.yaml"))
        << "study: shared\nstorage: " << url << "\nn_trials: 200\n"
        << "sampler: {name: random, seed: 9}\nspace: {x: {type: float, low: 0, high: 1}}\n"
        << "heartbeat: {interval: 0.2s, stale_after: 2s}\n"
        << "trainer:\n  command: [" << KNOB_TRAINER << ", --mode, value, --sleep-ms, \"40\"]\n  retries: 1\n"
        << "resources: {gpus: none, cpu_slots: 2}\n";
  }
  ~SharedStudy() { testing::DropPostgresDatabase(*testing::PostgresTestUrl(), database); }

  std::vector<int> StartWorkers(int n) {
    std::vector<int> pids;
    for (int w = 0; w < n; ++w) {
      std::filesystem::create_directories(dir.File("w" + std::to_string(w)));
      pids.push_back(testing::StartKnob({"run", dir.File("study.yaml")}, dir.File("w" + std::to_string(w))));
    }
    return pids;
  }
  // What worker `w` wrote to stderr (its last 4,000 bytes).
  std::string Said(int w) {
    std::ifstream err(dir.File("w" + std::to_string(w) + "/knob.err"));
    std::string said((std::istreambuf_iterator<char>(err)), {});
    return said.size() > 4000 ? said.substr(said.size() - 4000) : said;
  }
  // The study as stored; empty while the workers have not created it yet.
  StudySnapshot Read() {
    auto storage = PostgresStorage::Open(url, StorageAccess::kRead);
    if (!storage.ok()) return {};
    auto record = (*storage)->FindStudy("shared");
    if (!record.ok()) return {};
    return *(*storage)->ReadStudy(record->study_id);
  }
};

int Finished(const StudySnapshot& s) {
  int n = 0;
  for (const auto& t : s.trials) n += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
  return n;
}

}  // namespace

TEST_CASE("shared study: 4 workers with 2 slots each finish exactly 200 trials, numbered 0..199") {
  SharedStudy shared("knob_shared_even");
  for (int pid : shared.StartWorkers(4)) CHECK(testing::WaitFor(pid) == 0);
  StudySnapshot s = shared.Read();
  REQUIRE(s.trials.size() == 200);
  CHECK(Finished(s) == 200);
  std::set<int> numbers;
  for (const auto& t : s.trials) numbers.insert(t.number);
  CHECK(numbers.size() == 200);
  CHECK(*numbers.rbegin() == 199);
  // Every worker took part.
  std::set<int> workers;
  for (const auto& t : s.trials) workers.insert(t.system_attrs["knob:worker"]["pid"].get<int>());
  CHECK(workers.size() == 4);
}

TEST_CASE("shared study: the database server restarts under a running study; the worker reconnects and finishes") {
  const char* pg_dir = std::getenv("KNOB_TEST_POSTGRES_DIR");
  if (!pg_dir) {
    MESSAGE("KNOB_TEST_POSTGRES_DIR is not set (ctest's PostgreSQL fixture sets it): skipped");
    return;
  }
  SharedStudy shared("knob_shared_restart");
  std::vector<int> pids = shared.StartWorkers(1);
  // Restart once some trials are recorded, while others run.
  for (int i = 0; i < 1000 && Finished(shared.Read()) < 20; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(Finished(shared.Read()) >= 20);
  auto restarted = testing::RunProcess({"/bin/bash", std::string(KNOB_SOURCE_DIR) + "/scripts/pg_test_server.sh",
                                        "restart", pg_dir});
  REQUIRE(restarted.exit_code == 0);
  CHECK(testing::WaitFor(pids[0]) == 0);
  std::ifstream err(shared.dir.File("w0/knob.err"));
  std::string said((std::istreambuf_iterator<char>(err)), {});
  CHECK(said.find("reconnected") != std::string::npos);
  StudySnapshot s = shared.Read();
  CHECK(Finished(s) == 200);
  for (const auto& t : s.trials) CHECK(t.state != TrialState::kRunning);
}

TEST_CASE("shared study: a worker killed midway; the others fail and retry its trials and finish 200") {
  SharedStudy shared("knob_shared_kill");
  std::vector<int> pids = shared.StartWorkers(4);
  // Let the study get going (bounded wait on its own progress), then kill worker 0.
  for (int i = 0; i < 1000 && Finished(shared.Read()) < 60; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(Finished(shared.Read()) >= 60);
  ::kill(pids[0], SIGKILL);
  CHECK(testing::WaitFor(pids[0]) == 128 + SIGKILL);
  for (size_t w = 1; w < pids.size(); ++w) {
    int code = testing::WaitFor(pids[w]);
    INFO("worker ", w, " said: ", shared.Said(w));
    CHECK(code == 0);
  }
  StudySnapshot s = shared.Read();
  CHECK(Finished(s) == 200);
  std::set<int> numbers;
  for (const auto& t : s.trials) CHECK(numbers.insert(t.number).second);
  int orphans = 0;
  for (const auto& t : s.trials) {
    CHECK(t.state != TrialState::kRunning);
    CHECK(t.state != TrialState::kWaiting);
    if (t.state != TrialState::kFail) continue;
    ++orphans;
    CHECK(t.system_attrs["knob:fail_kind"] == "worker_died");
    CHECK(t.system_attrs["knob:worker"]["pid"] == pids[0]);
  }
  CHECK(orphans > 0);
  CHECK(orphans <= 2);  // at most its two slots' trials
}

}  // namespace knob

namespace knob {

TEST_CASE("shared study: wrong credentials and bad input are one line, exit 2, and create nothing") {
  auto base = testing::PostgresTestUrl();
  REQUIRE_MESSAGE(base, "set KNOB_TEST_POSTGRES_URL (scripts/test.sh starts a server)");
  std::string database = "knob_bad_" + std::to_string(getpid());
  std::string url = testing::CreatePostgresDatabase(*base, database);
  // Role knob_pw needs its password (scripts/pg_test_server.sh); the URL's host part follows '@'.
  std::string host = url.substr(url.find('@') + 1);
  auto refused = testing::RunKnob({"studies", "--storage", "postgresql://knob_pw:wrong@" + host});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("knob: cannot connect to postgresql://knob_pw:***@" + host + ": ") == 0);
  CHECK(refused.err.find("password authentication failed for user \"knob_pw\"") != std::string::npos);
  CHECK(testing::LineCount(refused.err) == 1);
  auto bad_space = testing::RunKnob({"create-study", "--storage", url, "--study", "s", "--space",
                                     R"({"x": {"type": "float", "low": 2, "high": 1}})"});
  CHECK(bad_space.exit_code == 2);
  CHECK(bad_space.err == "knob: parameter 'x': low 2 is greater than high 1\n");
  auto untouched = PostgresStorage::Open(url, StorageAccess::kRead);
  REQUIRE_FALSE(untouched.ok());
  CHECK(untouched.error().message == "database " + url + " holds no studies (it is not a knob or Optuna database)");
  auto missing = testing::RunKnob({"trials", "--storage", url, "--study", "nope"});
  CHECK(missing.exit_code == 2);
  testing::DropPostgresDatabase(*base, database);
}

}  // namespace knob
