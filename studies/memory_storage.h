// An in-memory Storage for tests and in-process benchmarks: the same rules as the
// SQLite storage (checked by one conformance suite), safe across threads.
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "studies/storage.h"

namespace knob {

class MemoryStorage : public Storage {
 public:
  using Storage::CreateStudy;
  Result<int64_t> CreateStudy(const std::string& name, const std::vector<StudyDirection>& directions,
                              const nlohmann::json& system_attrs) override;
  Result<StudyRecord> FindStudy(const std::string& name) override;
  Result<std::vector<StudyRecord>> ListStudies() override;
  Status DeleteStudy(int64_t study_id) override;
  Status SetStudyUserAttr(int64_t study_id, const std::string& key,
                          const nlohmann::json& value) override;
  Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                            const nlohmann::json& value) override;
  Result<FrozenTrial> CreateTrial(int64_t study_id, const SnapshotParts& parts,
                                  const TrialPlanner& planner) override;
  Result<int> CreateWaitingTrial(int64_t study_id, const nlohmann::json& user_attrs,
                                 const nlohmann::json& system_attrs) override;
  Status SetIntermediateValue(int64_t study_id, int number, int64_t step, double value) override;
  Result<FrozenTrial> FinishTrial(int64_t study_id, int number, TrialState state,
                                  std::optional<double> value,
                                  const nlohmann::json& system_attrs,
                                  const nlohmann::json& user_attrs = nlohmann::json::object(),
                                  const std::vector<double>& values = {}) override;
  Status SetTrialUserAttr(int64_t study_id, int number, const std::string& key,
                          const nlohmann::json& value) override;
  Status SetTrialSystemAttrs(int64_t study_id, int number, const nlohmann::json& attrs) override;
  Status SetTrialParam(int64_t study_id, int number, const std::string& name, const TrialParam& param) override;
  Status RecordHeartbeats(int64_t study_id, const std::vector<int>& numbers) override;
  Result<std::map<int, double>> HeartbeatAges(int64_t study_id) override;
  Result<StudySnapshot> ReadStudy(int64_t study_id,
                                  const SnapshotParts& parts = SnapshotParts::All()) override;
  Result<FrozenTrial> ReadTrial(int64_t study_id, int number) override;

 private:
  struct StoredStudy {
    StudyRecord record;
    StudySnapshot snapshot;  // kept whole, so that an ask reads it without a copy
  };
  Result<StoredStudy*> Find(int64_t study_id);
  Result<FrozenTrial*> FindRunning(int64_t study_id, int number);

  std::mutex mutex_;
  std::map<int64_t, StoredStudy> studies_;
  // Last heartbeat by (study id, trial number).
  std::map<std::pair<int64_t, int>, std::chrono::steady_clock::time_point> heartbeats_;
  int64_t next_study_id_ = 1;
  int64_t next_trial_id_ = 1;
};

}  // namespace knob
