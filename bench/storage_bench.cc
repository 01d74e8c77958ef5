// knob_storage_bench URL WORKERS TRIALS_PER_WORKER
// Creates study "bench" (random sampler, 5 float params) in URL, then forks WORKERS
// processes that each ask and tell TRIALS_PER_WORKER trials as fast as they can
// (a worker holds its Study, as `knob run` does). Prints one JSON line: trials per
// second over all workers, and whether every number was handed out once.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "search/search_space.h"
#include "studies/storage_url.h"
#include "studies/study.h"

using namespace knob;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: knob_storage_bench URL WORKERS TRIALS_PER_WORKER\n");
    return 2;
  }
  std::string url = argv[1];
  int workers = std::atoi(argv[2]), per_worker = std::atoi(argv[3]);
  {
    auto storage = OpenStorage(url, StorageAccess::kCreate);
    if (!storage.ok()) return std::fprintf(stderr, "%s\n", storage.error().message.c_str()), 1;
    auto space = ParseSearchSpaceText(R"({"a": {"type": "float", "low": 0, "high": 1},
        "b": {"type": "float", "low": 0, "high": 1}, "c": {"type": "float", "low": 0, "high": 1},
        "d": {"type": "float", "low": 1e-5, "high": 1, "log": true}, "e": {"type": "float", "low": 0, "high": 1}})");
    StudyConfig config{"bench", StudyDirection::kMinimize, {"random", {{"seed", 1}}}, *space, {"nop", nlohmann::json::object()}};
    auto study = Study::Create(**storage, config);
    if (!study.ok()) return std::fprintf(stderr, "%s\n", study.error().message.c_str()), 1;
  }
  auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < workers; ++w) {
    if (fork() != 0) continue;
    auto storage = OpenStorage(url, StorageAccess::kWrite);
    if (!storage.ok()) _exit(1);
    auto study = Study::Open(**storage, "bench");
    if (!study.ok()) _exit(1);
    for (int i = 0; i < per_worker; ++i) {
      auto trial = study->Ask();
      if (!trial.ok()) _exit(1);
      TellRequest tell;
      tell.value = trial->params.at("a").internal;
      if (!study->Tell(trial->number, tell).ok()) _exit(1);
    }
    _exit(0);
  }
  int failed = 0, status = 0;
  while (wait(&status) > 0) failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto storage = OpenStorage(url, StorageAccess::kRead);
  auto record = (*storage)->FindStudy("bench");
  auto snapshot = (*storage)->ReadStudy(record->study_id);
  std::set<int> numbers;
  for (const auto& t : snapshot->trials) numbers.insert(t.number);
  bool unique = numbers.size() == snapshot->trials.size() &&
                static_cast<int>(snapshot->trials.size()) == workers * per_worker;
  std::printf("{\"trials_per_s\": %.1f, \"seconds\": %.3f, \"trials\": %zu, \"unique\": %s, \"failed_workers\": %d}\n",
              workers * per_worker / seconds, seconds, snapshot->trials.size(), unique ? "true" : "false", failed);
  return failed ? 1 : 0;
}
