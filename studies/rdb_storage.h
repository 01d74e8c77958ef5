// The Storage rules on Optuna's RDB table layout, written once over a SqlSession
// so that SQLite files and PostgreSQL servers behave the same: every
// read-decide-write runs in a write transaction (trial numbers are never
// duplicated, grid points never shared, no write lost), heartbeats use the
// database's clock. Open one through OpenStorage (storage_url.h); SqliteStorage
// and PostgresStorage only open the session.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "studies/sql_session.h"
#include "studies/storage.h"

namespace knob {

class RdbStorage : public Storage {
 public:
  explicit RdbStorage(std::unique_ptr<SqlSession> session) : session_(std::move(session)) {}

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
  Result<StudySnapshot> ReadChangedTrials(int64_t study_id, const TrialChanges& since) override;

 protected:
  SqlSession& session() { return *session_; }

 private:
  // Runs `body`, turning SqlError into the error it carries.
  template <class F>
  auto Guarded(F&& body) -> decltype(body());

  StudyRecord ReadStudyRecord(int64_t study_id);
  // The whole study, or only the trial numbered `only_number`.
  StudySnapshot ReadSnapshot(int64_t study_id, std::optional<int> only_number, const TrialChanges* changes,
                             const SnapshotParts& parts);
  // The trial's id and state, or an error for an unknown number.
  Result<std::pair<int64_t, TrialState>> LocateTrial(int64_t study_id, int number);
  Result<int64_t> LocateRunningTrial(int64_t study_id, int number);
  void InsertParams(int64_t trial_id, const std::map<std::string, TrialParam>& params);
  void UpsertAttrs(const char* table, int64_t trial_id, const nlohmann::json& attrs);
  void UpsertHeartbeat(int64_t trial_id);
  Status SetTrialAttrs(const char* table, int64_t study_id, int number, const nlohmann::json& attrs);
  Status UpsertStudyAttr(const char* table, int64_t study_id, const std::string& key,
                         const nlohmann::json& value);

  std::unique_ptr<SqlSession> session_;
  // Trial ids by (study id, number), as learned here; LocateTrial checks each use
  // against the row, so an entry made stale by another process costs one lookup.
  std::map<std::pair<int64_t, int>, int64_t> trial_ids_;
};

}  // namespace knob
