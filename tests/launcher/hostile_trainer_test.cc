// Trainers that attack knob (values out of range, deep or endless messages, floods,
// reports knob must refuse, processes that escape their trial), and knob run's own
// faults (a lost storage file, a full disk, SIGHUP): each fails only its own trial,
// or stops the run with a clear line; never a crash, a freeze or a trial left RUNNING.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "launcher/run/worker_identity.h"
#include "launcher/run_test_support.h"
#include "test_support.h"

namespace knob {
namespace {

using testing::Count;
using testing::ReadFile;
using testing::ReadStudy;
using testing::RunKnob;
using testing::TempDir;
using testing::Trainer;
using testing::WaitUntil;
using testing::WriteFile;

namespace fs = std::filesystem;

// Whether process `pid` still runs (a zombie does not).
bool Runs(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] != 'Z';
}

std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// Starts `knob run` of study `name` (storage NAME.db, x in [0, 1], 2 CPU slots, the
// scripted trainer with `trainer_args`, `extra` lines added) and waits until both
// slots run a trainer; returns its pid.
int StartTwoSlotRun(const TempDir& dir, const std::string& name, const std::string& trainer_args,
                    const std::string& extra = "") {
  WriteFile(dir.File("study.yaml"), "study: " + name + "\nstorage: " + name + ".db\nn_trials: 50\n"
            "sampler: {name: random, seed: 4}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer(trainer_args) + "\n  stop_grace: 5s\n" + extra +
            "resources: {gpus: none, cpu_slots: 2}\n");
  int pid = testing::StartKnob({"run", dir.File("study.yaml")}, dir.path().string());
  REQUIRE(pid > 0);
  REQUIRE(WaitUntil([&] { return ProcessesWithEnvironmentEntry("KNOB_STUDY=" + name).size() == 2; }));
  return pid;
}

}  // namespace

TEST_CASE("run: hostile trainers fail only their own trials, each with its cause; knob keeps its pace") {
  TempDir dir;
  const std::vector<std::string> modes = {"bigvalue", "bigreport", "deep", "longline", "flood",
                                          "badreport", "mistyped", "daemon", "hang", "linger", "twice", "garbage",
                                          "logflood", "enqueueflood"};
  std::string choices;
  for (const auto& m : modes) choices += ", \"" + m + "\"";
  const std::string space = R"({"mode": {"type": "categorical", "choices": ["value")" + choices + "]}, "
                            R"("x": {"type": "float", "low": 0, "high": 1}})";
  WriteFile(dir.File("study.yaml"), "study: hostile\nstorage: h.db\nn_trials: 8\nmax_failures: 100\n"
            "sampler: {name: random, seed: 3}\npruner: nop\nspace: " + space + "\n"
            "trainer:\n  command: " + Trainer("--mode, \"{mode}\"") + "\n  timeout: 3s\n  stop_grace: 0.5s\n"
            "  max_log_mb: 1\n"
            "resources: {gpus: none, cpu_slots: 4}\n");
  REQUIRE(RunKnob({"create-study", "--storage", dir.File("h.db"), "--study", "hostile", "--space", space}).exit_code == 0);
  // The hostile trainers first, then well-behaved ones enough for the budget.
  std::vector<std::string> queue = modes;
  queue.insert(queue.end(), 8, "value");
  for (const auto& mode : queue)
    REQUIRE(RunKnob({"enqueue", "--storage", dir.File("h.db"), "--study", "hostile", "--params",
                     R"({"mode": ")" + mode + R"(", "x": 0.25})"}).exit_code == 0);
  auto before = Listing(dir.path());
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("h.db"), "hostile");
  CHECK(Count(s, TrialState::kRunning) == 0);
  CHECK(Count(s, TrialState::kComplete) == 8);
  // Each hostile trainer ran once; the ones knob refuses FAIL naming the cause.
  const std::map<std::string, std::string> fails = {
      {"bigvalue", "'1e400' is out of range"},
      {"deep", "nested deeper than 100 levels"},
      {"longline", "bytes without a newline on the control channel"},
      {"flood", "flooded the control channel"},
      {"mistyped", R"(it refused: trainer result: "pruned" must be true or false)"},
      {"hang", "timed out after 3.0s"},
      {"logflood", "wrote more than 1 MiB to its log (trainer.max_log_mb)"},
      {"enqueueflood", "queued more than 100 trials"}};
  std::map<std::string, int> runs;
  for (const auto& t : s.trials) {
    if (t.state == TrialState::kWaiting) continue;  // not needed for the budget
    std::string mode = t.ParamsJson()["mode"];
    ++runs[mode];
    if (!fails.count(mode)) {
      INFO("trial ", t.number, " ", mode);
      CHECK(t.state == TrialState::kComplete);  // badreport: every refusal was answered
      if (mode == "bigreport") CHECK(t.intermediate_values.empty());
      // linger: stopped at its timeout, after its result, which stands;
      // twice: the first result stands.
      if (mode == "linger" || mode == "twice") CHECK(t.value == 0.25);
      continue;
    }
    REQUIRE(t.state == TrialState::kFail);
    std::string reason = t.system_attrs["knob:fail_reason"];
    INFO(mode, ": ", reason);
    CHECK(reason.find(fails.at(mode)) != std::string::npos);
  }
  for (const auto& mode : modes) CHECK(runs[mode] == 1);
  CHECK(run.err.find("still running at its timeout (3.0s) after its result; stopping it") != std::string::npos);
  CHECK(run.err.find("sent a second result or fail; the first stands") != std::string::npos);
  // garbage's 20 refusals: five shown, then counted.
  CHECK(run.err.find("refused 20 messages in all (the first 5 shown)") != std::string::npos);
  // The daemon it left behind (own session, empty environment) is gone.
  for (const auto& t : s.trials) {
    if (t.state == TrialState::kWaiting || t.ParamsJson()["mode"] != "daemon") continue;
    std::string pid_text = ReadFile(t.system_attrs["knob:trial_dir"].get<std::string>() + "/daemon.pid");
    REQUIRE(!pid_text.empty());
    CHECK_FALSE(Runs(std::stoi(pid_text)));
  }
  // The event log tells the story with timestamps.
  std::string log = ReadFile(dir.File("knob-runs/hostile/knob.log"));
  CHECK(log.find("started [cpu") != std::string::npos);
  CHECK(log.find("broke the protocol: flooded the control channel") != std::string::npos);
  CHECK(log.find("left behind by an ended trial") != std::string::npos);
  CHECK(log.find("COMPLETE 0.25") != std::string::npos);
  CHECK(log.find("[timeout]") != std::string::npos);
  // Nothing outside the study's files changed.
  auto after = Listing(dir.path());
  for (const auto& name : after)
    if (!before.count(name)) CHECK((name == "knob-runs" || name.rfind("h.db", 0) == 0));
}

const std::string kFloodSpace = R"({"mode": {"type": "categorical", "choices": ["flood", "hang"]}})";

TEST_CASE("run: a trainer that floods reports cannot delay its siblings' timeouts or a signal") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: flood\nstorage: f.db\nn_trials: 1\nmax_failures: 100\n"
            "sampler: {name: random, seed: 3}\npruner: nop\n"
            "space: " + kFloodSpace + "\n"
            "trainer:\n  command: " + Trainer("--mode, \"{mode}\"") + "\n  timeout: 1s\n  stop_grace: 0.2s\n"
            "resources: {gpus: none, cpu_slots: 2}\n");
  REQUIRE(RunKnob({"create-study", "--storage", dir.File("f.db"), "--study", "flood", "--space", kFloodSpace}).exit_code == 0);
  for (const char* mode : {"flood", "hang"})
    REQUIRE(RunKnob({"enqueue", "--storage", dir.File("f.db"), "--study", "flood", "--params",
                     std::string(R"({"mode": ")") + mode + R"("})"}).exit_code == 0);
  int pid = testing::StartKnob({"run", dir.File("study.yaml")}, dir.path().string());
  REQUIRE(pid > 0);
  // The hanging sibling times out on time while the flood goes on; then SIGHUP ends the run.
  REQUIRE(WaitUntil([&] { return ReadFile(dir.File("knob.err")).find("timed out after 1.0s") != std::string::npos; }));
  ::kill(pid, SIGHUP);
  int code = testing::WaitFor(pid);
  CHECK((code == 130 || code == 0));
  StudySnapshot s = ReadStudy(dir.File("f.db"), "flood");
  CHECK(Count(s, TrialState::kRunning) == 0);
  for (const auto& t : s.trials)
    if (t.ParamsJson()["mode"] == "flood" && t.state == TrialState::kFail)
      CHECK(t.system_attrs["knob:fail_kind"] != "timeout");
}

TEST_CASE("run: SIGHUP stops the running trials, which FAIL as interrupted and run again") {
  TempDir dir;
  int pid = StartTwoSlotRun(dir, "hup", "--mode, hang");
  ::kill(pid, SIGHUP);
  CHECK(testing::WaitFor(pid) == 130);
  StudySnapshot s = ReadStudy(dir.File("hup.db"), "hup");
  CHECK(Count(s, TrialState::kRunning) == 0);
  CHECK(Count(s, TrialState::kFail) == 2);
  CHECK(Count(s, TrialState::kWaiting) == 2);
  CHECK(ProcessesWithEnvironmentEntry("KNOB_STUDY=hup").empty());
}

TEST_CASE("run: a storage file deleted under a running study stops the run with exit 1 and a clear line") {
  TempDir dir;
  int pid = StartTwoSlotRun(dir, "gone", "--mode, value, --sleep-ms, \"200\"",
                            "heartbeat: {interval: 0.1s, stale_after: 1s}\n");
  fs::remove(dir.File("gone.db"));
  CHECK(testing::WaitFor(pid) == 1);
  std::string err = ReadFile(dir.File("knob.err"));
  CHECK(err.find("storage file '" + dir.File("gone.db") + "' was deleted while in use") != std::string::npos);
  CHECK(ProcessesWithEnvironmentEntry("KNOB_STUDY=gone").empty());
}

TEST_CASE("run: delete-study is refused while a run is live; forced, the run's writes fail cleanly") {
  TempDir dir;
  int pid = StartTwoSlotRun(dir, "del", "--mode, value, --sleep-ms, \"300\"");
  auto refused = RunKnob({"delete-study", "--storage", dir.File("del.db"), "--study", "del"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("trials running in live `knob run` workers") != std::string::npos);
  CHECK(RunKnob({"delete-study", "--storage", dir.File("del.db"), "--study", "del", "--force"}).exit_code == 0);
  // A new study takes the freed id; it must not inherit the old run's trials.
  REQUIRE(RunKnob({"create-study", "--storage", dir.File("del.db"), "--study", "fresh"}).exit_code == 0);
  int code = testing::WaitFor(pid);
  CHECK(code == 1);
  StudySnapshot fresh = ReadStudy(dir.File("del.db"), "fresh");
  CHECK(fresh.trials.empty());
  CHECK(ProcessesWithEnvironmentEntry("KNOB_STUDY=del").empty());
}

TEST_CASE("run: trial folders stay inside the output folder, are never shared, values are never paths") {
  TempDir dir;
  fs::create_directories(dir.path() / "sub");
  WriteFile(dir.File("sub/study.yaml"), "study: ../../escape\nstorage: e.db\nn_trials: 2\n"
            "sampler: {name: random, seed: 1}\n"
            "space: {word: {type: categorical, choices: [study.yaml]}}\n"
            "trainer:\n  command: " + Trainer("--mode, env, --value, \"{word}\"") + "\n"
            "resources: {gpus: none, cpu_slots: 1}\n");
  auto run = RunKnob({"run", dir.File("sub/study.yaml")});
  INFO(run.err);
  // "study.yaml" is not a number: the trainer got the word itself, not the file's path.
  StudySnapshot s = ReadStudy(dir.File("sub/e.db"), "../../escape");
  REQUIRE(s.trials.size() >= 1);
  std::string trial_dir = s.trials[0].system_attrs["knob:trial_dir"];
  CHECK(fs::path(trial_dir).lexically_normal().string().rfind(dir.File("sub/knob-runs/"), 0) == 0);
  auto argv = s.trials[0].user_attrs["metrics"]["argv"];
  CHECK(argv == nlohmann::json::array({"--mode", "env", "--value", "study.yaml"}));
  CHECK(Listing(dir.path()) == std::set<std::string>{"sub"});
  // Another study may not use that output folder.
  WriteFile(dir.File("sub/other.yaml"), "study: other\nstorage: e.db\nn_trials: 1\n"
            "output_dir: " + fs::path(trial_dir).parent_path().string() + "\n"
            "space: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, value") + "\nresources: {gpus: none, cpu_slots: 1}\n");
  auto listing = Listing(fs::path(trial_dir).parent_path());
  std::string db_before = testing::DumpDatabase(dir.File("sub/e.db"));
  auto other = RunKnob({"run", dir.File("sub/other.yaml")});
  CHECK(testing::DumpDatabase(dir.File("sub/e.db")) == db_before);
  CHECK(other.exit_code == 2);
  CHECK(other.err.find("holds the trials of study '../../escape'") != std::string::npos);
  CHECK(testing::LineCount(other.err) == 1);
  CHECK(Listing(fs::path(trial_dir).parent_path()) == listing);
  // Nor may a study of a storage yet to be made, which is then not made.
  WriteFile(dir.File("sub/new.yaml"), "study: other\nstorage: new.db\nn_trials: 1\n"
            "output_dir: " + fs::path(trial_dir).parent_path().string() + "\n"
            "space: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, value") + "\nresources: {gpus: none, cpu_slots: 1}\n");
  auto fresh = RunKnob({"run", dir.File("sub/new.yaml")});
  CHECK(fresh.exit_code == 2);
  CHECK(fresh.err.find("holds the trials of study '../../escape'") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.File("sub/new.db")));
}

// A child of this process's memory cgroup (v1's memory controller or v2's unified
// tree) limited to `limit` bytes with no swap, removed when it goes; empty path when
// this machine gives none (not root, no controller).
struct MemoryCgroup {
  std::string path;
  explicit MemoryCgroup(uint64_t limit) {
    std::ifstream self("/proc/self/cgroup");
    std::string line;
    while (std::getline(self, line)) {
      std::string base;
      if (line.find(":memory:") != std::string::npos) base = "/sys/fs/cgroup/memory" + line.substr(line.find(":memory:") + 8);
      else if (line.rfind("0::", 0) == 0 && ReadFile("/sys/fs/cgroup/cgroup.controllers").find("memory") != std::string::npos)
        base = "/sys/fs/cgroup" + line.substr(3);
      if (base.empty()) continue;
      std::string child = base + "/knob-oom-test-" + std::to_string(getpid());
      if (!fs::create_directory(child)) continue;
      bool v1 = fs::exists(child + "/memory.limit_in_bytes");
      const std::string limit_file = child + (v1 ? "/memory.limit_in_bytes" : "/memory.max");
      std::ofstream(limit_file) << limit;
      if (ReadFile(limit_file).rfind(std::to_string(limit), 0) != 0) {  // no controller here after all
        rmdir(child.c_str());
        continue;
      }
      if (v1 && fs::exists(child + "/memory.memsw.limit_in_bytes")) std::ofstream(child + "/memory.memsw.limit_in_bytes") << limit;
      if (!v1 && fs::exists(child + "/memory.swap.max")) std::ofstream(child + "/memory.swap.max") << 0;
      path = child;
      return;
    }
  }
  ~MemoryCgroup() {
    if (!path.empty()) rmdir(path.c_str());
  }
};

TEST_CASE("run: a trainer the out-of-memory killer ends FAILs as oom; trainers are its first choice") {
  MemoryCgroup cgroup(64u << 20);
  if (cgroup.path.empty()) {
    MESSAGE("no memory cgroup can be made here (not root?): skipped");
    return;
  }
  TempDir dir;
  // The trainer moves itself into the limited group, then fills memory.
  const std::string command = std::string("[/bin/sh, -c, 'echo $$ > ") + cgroup.path +
                              "/cgroup.procs && exec " + KNOB_TRAINER + " --mode \"$0\"', '{mode}']";
  const std::string space = R"({"mode": {"type": "categorical", "choices": ["eatmemory", "value"]}, )"
                            R"("x": {"type": "float", "low": 0, "high": 1}})";
  WriteFile(dir.File("study.yaml"), "study: oom\nstorage: o.db\nn_trials: 1\nsampler: {name: random, seed: 3}\n"
            "space: " + space + "\ntrainer:\n  command: " + command + "\n  timeout: 60s\n"
            "resources: {gpus: none, cpu_slots: 1}\n");
  REQUIRE(RunKnob({"create-study", "--storage", dir.File("o.db"), "--study", "oom", "--space", space}).exit_code == 0);
  for (const char* mode : {"eatmemory", "value"})
    REQUIRE(RunKnob({"enqueue", "--storage", dir.File("o.db"), "--study", "oom", "--params",
                     std::string(R"({"x": 0.5, "mode": ")") + mode + "\"}"}).exit_code == 0);
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  CHECK(run.exit_code == 0);  // the study goes on: the second trial COMPLETEs
  StudySnapshot s = ReadStudy(dir.File("o.db"), "oom");
  REQUIRE(s.trials.size() == 2);
  CHECK(s.trials[0].state == TrialState::kFail);
  CHECK(s.trials[0].system_attrs["knob:fail_kind"] == "oom");
  CHECK(s.trials[0].system_attrs["knob:fail_reason"].get<std::string>().rfind(
            "killed by the kernel's out-of-memory killer (SIGKILL)", 0) == 0);
  CHECK(s.trials[1].state == TrialState::kComplete);
  std::string score = ReadFile(s.trials[0].system_attrs["knob:trial_dir"].get<std::string>() + "/oom_score_adj.txt");
  CHECK(score.substr(0, 3) == "500");
}

TEST_CASE("run: a full disk under the trial folders is knob's failure (exit 1), not the trainer's") {
  TempDir dir;
  fs::create_directories(dir.path() / "runs");
  if (mount("tmpfs", dir.File("runs").c_str(), "tmpfs", 0, "size=64k") != 0) {
    MESSAGE("cannot mount a tmpfs here (not root?): skipped");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{dir.File("runs")};
  WriteFile(dir.File("study.yaml"), "study: full\nstorage: f.db\nn_trials: 3\noutput_dir: runs\n"
            "sampler: {name: random, seed: 1}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, value") + "\nresources: {gpus: none, cpu_slots: 1}\n");
  // The folder is claimed by a first trial, then the disk fills.
  REQUIRE(RunKnob({"run", dir.File("study.yaml"), "--n-trials", "1"}).exit_code == 0);
  {
    std::ofstream filler(dir.File("runs/filler"), std::ios::binary);
    std::string block(4096, 'x');
    for (int i = 0; i < 64 && filler; ++i) filler << block;
  }
  auto run = RunKnob({"run", dir.File("study.yaml")});
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("No space left on device") != std::string::npos);
  StudySnapshot s = ReadStudy(dir.File("f.db"), "full");
  CHECK(Count(s, TrialState::kRunning) == 0);
  for (const auto& t : s.trials)
    if (t.state == TrialState::kFail) CHECK(t.system_attrs["knob:fail_kind"] == "knob");
  CHECK(Count(s, TrialState::kWaiting) == 1);  // it runs again once there is room
  fs::remove(dir.File("runs/filler"));
  CHECK(RunKnob({"run", dir.File("study.yaml")}).exit_code == 0);
  CHECK(Count(ReadStudy(dir.File("f.db"), "full"), TrialState::kComplete) == 3);
}

}  // namespace knob
