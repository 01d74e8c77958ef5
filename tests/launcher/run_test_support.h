// Helpers of the `knob run` end-to-end tests: study files, the scripted trainer's
// command, waiting for a started run's trials, and reading a study back.
#pragma once

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "studies/sqlite_storage.h"
#include "studies/storage.h"
#include "test_support.h"

namespace knob::testing {

inline void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline StudySnapshot ReadStudy(const std::string& db, const std::string& name) {
  auto storage = SqliteStorage::Open(db, StorageAccess::kRead);
  REQUIRE(storage.ok());
  auto record = (*storage)->FindStudy(name);
  REQUIRE(record.ok());
  auto snapshot = (*storage)->ReadStudy(record->study_id);
  REQUIRE(snapshot.ok());
  return *snapshot;
}

inline int Count(const StudySnapshot& s, TrialState state) {
  return static_cast<int>(std::count_if(s.trials.begin(), s.trials.end(),
                                        [&](const FrozenTrial& t) { return t.state == state; }));
}

// The YAML list that runs the scripted trainer with `args`.
inline std::string Trainer(const std::string& args) {
  return std::string("[") + KNOB_TRAINER + ", " + args + "]";
}

// Polls (bounded: about 10 s) until `done()` holds; returns whether it did.
template <class Condition>
bool WaitUntil(Condition done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace knob::testing
