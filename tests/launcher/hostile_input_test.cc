// Hostile input of every kind (numbers that overflow a double, invalid UTF-8, deep
// nesting, huge sizes, YAML alias bombs, durations that would wrap): one line on
// stderr naming the problem, exit code 2, and nothing on disk changed. Never a crash.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "launcher/run_test_support.h"
#include "test_support.h"

namespace knob {
namespace {

using testing::RunKnob;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;

struct Hostile {
  std::vector<std::string> args;  // "DB" stands for the prepared storage, "DIR" for the folder
  std::string says;               // a part of the one line
};

void ExpectRefused(const Hostile& c, const TempDir& dir, const std::string& db) {
  std::vector<std::string> args = c.args;
  for (auto& a : args) {
    if (a == "DB") a = db;
    size_t at = a.find("DIR/");
    if (at != std::string::npos) a.replace(at, 3, dir.path().string());
  }
  std::string before = testing::DumpDatabase(db);
  auto listing_before = std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator());
  auto r = RunKnob(args);
  std::string shown;
  for (const auto& a : args) shown += (a.size() > 80 ? a.substr(0, 80) + "..." : a) + " ";
  INFO("knob ", shown, "\nstderr: ", r.err);
  CHECK(r.exit_code == 2);
  CHECK(testing::LineCount(r.err) == 1);
  CHECK(r.err.find(c.says) != std::string::npos);
  CHECK(testing::DumpDatabase(db) == before);
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == listing_before);
}

std::string Deep(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

const std::string kStudyTail =
    "space: {x: {type: float, low: 0, high: 1}}\n"
    "trainer: {command: [/bin/true]}\n";

}  // namespace

TEST_CASE("hostile command-line input: one line, exit 2, the database unchanged") {
  TempDir dir;
  std::string db = dir.File("s.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "s", "--space",
                   R"({"x": {"type": "float", "low": 0, "high": 1}})"}).exit_code == 0);
  REQUIRE(RunKnob({"ask", "--storage", db, "--study", "s"}).exit_code == 0);
  WriteFile(dir.File("deep.json"), "{\"x\": " + Deep(100000) + "}");
  auto on = [](std::vector<std::string> args) {
    args.insert(args.end(), {"--storage", "DB", "--study", "s"});
    return args;
  };
  const std::string bad_utf8 = "caf\xC3\x28";
  std::vector<Hostile> cases = {
      {on({"enqueue", "--params", R"({"x": 1e400})"}), "--params: at x: number '1e400' is out of range"},
      {on({"enqueue", "--params", "@" + dir.File("deep.json")}), "nested deeper than 100 levels"},
      {on({"enqueue", "--params", Deep(60000)}), "nested deeper than 100 levels"},
      {on({"tell", "--trial", "0", "--value", "1e400"}), "--value: '1e400' is out of range"},
      {on({"tell", "--trial", "0", "--value", "-1e999"}), "is out of range"},
      {on({"report", "--trial", "0", "--step", "1", "--value", "1e400"}), "is out of range"},
      {on({"set-user-attr", "--key", "k", "--value", bad_utf8}), ": invalid UTF-8 at byte 3"},
      {on({"set-user-attr", "--key", bad_utf8, "--value", "v"}), "invalid UTF-8"},
      {on({"set-user-attr", "--key", "k", "--json", R"({"a": [1e400]})"}), "at a[0]: number '1e400' is out of range"},
      {on({"enqueue", "--params", "{\"x\": \"" + bad_utf8 + "\"}"}), "invalid UTF-8"},
      {{"create-study", "--storage", "DB", "--study", bad_utf8}, "invalid UTF-8"},
      {{"create-study", "--storage", "DB", "--study", "n", "--space",
        R"({"x": {"type": "float", "low": 0, "high": 1e999}})"}, "is out of range"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "tpe", "--sampler-options",
        R"({"seed": 99999999999999999999999})"}, "tpe sampler"},
  };
  for (const auto& c : cases) ExpectRefused(c, dir, db);
}

TEST_CASE("hostile study files: one line naming the file, exit 2, no storage or folder made") {
  TempDir dir;
  std::string db = dir.File("never.db");  // a study file that would create it
  auto file = [&](const std::string& name, const std::string& text) {
    WriteFile(dir.File(name), text);
    return std::vector<std::string>{"run", dir.File(name)};
  };
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  std::vector<Hostile> cases = {
      {file("big.yaml", "study: s\nstorage: never.db\nn_trials: 1e400\n" + kStudyTail),
       "big.yaml:3: n_trials: number: '1e400' is out of range"},
      {file("bigspace.yaml", "study: s\nstorage: never.db\nspace: {x: {type: float, low: 0, high: 1e400}}\n"
                             "trainer: {command: [/bin/true]}\n"), "is out of range"},
      {file("utf8.yaml", "study: caf\xC3\x28\nstorage: never.db\n" + kStudyTail), "invalid UTF-8"},
      {file("bomb.yaml", "study: s\nstorage: never.db\n" + bomb + kStudyTail), "values (aliases?)"},
      {file("deep.yaml", "study: s\nstorage: never.db\nx: " + Deep(5000) + "\n" + kStudyTail),
       "deep.yaml:3: malformed YAML: nested deeper than 500 levels"},
      {file("deep.json", "{\"study\": \"s\", \"x\": " + Deep(100000) + "}"), "nested deeper than 100 levels"},
      {file("huge.json", "{\"study\": \"s\", \"n_trials\": 1e400}"), "is out of range"},
      {file("wrap.yaml", "study: s\nstorage: never.db\ntimeout: 99999999999999999999h\n" + kStudyTail),
       "timeout: a duration must be at most 1000 days"},
      {file("wrap2.yaml", "study: s\nstorage: never.db\ntrainer: {command: [/bin/true], timeout: 1e300}\n"
                          "space: {x: {type: float, low: 0, high: 1}}\n"), "at most 1000 days"},
      {file("beat.yaml", "study: s\nstorage: never.db\nheartbeat: {interval: 1ms, stale_after: 1s}\n" + kStudyTail),
       "heartbeat.interval: must be at least 100ms"},
      {file("beat2.yaml", "study: s\nstorage: never.db\nheartbeat: {interval: 1s, stale_after: 2s}\n" + kStudyTail),
       "heartbeat.stale_after: must be at least 3 x heartbeat.interval"},
  };
  for (const char* budget : {"0", "-1", "5abc", "0x10", "99999999999999999999"}) {
    std::vector<std::string> args = file("ok.yaml", "study: s\nstorage: never.db\n" + kStudyTail);
    args.insert(args.end(), {"--n-trials", budget});
    cases.push_back({args, std::string("--n-trials: must be a whole number from 1 to 2147483647, got '") + budget +
                               "' (see `knob run --help`)"});
  }
  for (const auto& c : cases) {
    ExpectRefused(c, dir, db);
    CHECK_FALSE(fs::exists(db));
    CHECK_FALSE(fs::exists(dir.File("knob-runs")));
  }
}

#ifdef KNOB_TRAIN_BINARY
TEST_CASE("hostile knob-train arguments: one line, exit 2, no output folder") {
  TempDir dir;
  WriteFile(dir.File("c.json"), "{\"output_dir\": \"" + dir.File("out") + "\", \"max_steps\": 1}");
  WriteFile(dir.File("deep.json"), Deep(100000));
  std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--config", dir.File("c.json"), "--set", "learning_rate=1e400"}, "is out of range"},
      {{"--config", dir.File("c.json"), "--set", "model.hidden=" + Deep(60000)}, "nested deeper"},
      {{"--config", dir.File("c.json"), "--set", "seed=caf\xC3\x28"}, "invalid UTF-8"},
      {{"--config", dir.File("deep.json")}, "nested deeper"},
      {{"--config", dir.File("c.json"), "--set", "a.b.c.d.e.f.g.h.i.j.k=1"}, "nested at most 8 sections"},
  };
  for (auto& [args, says] : cases) {
    args.insert(args.begin(), KNOB_TRAIN_BINARY);
    auto r = testing::RunProcess(args);
    INFO(args[4 < args.size() ? 4 : 1].substr(0, 60), ": ", r.err);
    CHECK(r.exit_code == 2);
    CHECK(testing::LineCount(r.err) == 1);
    CHECK(r.err.find(says) != std::string::npos);
    CHECK_FALSE(fs::exists(dir.File("out")));
  }
}
#endif

}  // namespace knob
