// Storage in one SQLite file with Optuna's RDB layout, so that Optuna and
// optuna-dashboard open knob studies and knob continues Optuna's. WAL journal, a
// busy timeout, and BEGIN IMMEDIATE around every read-decide-write, so that many
// processes on one file never duplicate a trial number and never lose a write.
// Open it through OpenStorage (storage_url.h) rather than directly.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <SQLiteCpp/Database.h>

#include "studies/storage.h"

namespace knob {

enum class StorageAccess {
  kCreate,  // may create the file and its tables
  kWrite,   // the file must exist and be writable
  kRead,    // the file must exist and be readable
};

class SqliteStorage : public Storage {
 public:
  // Bad input (one line naming the file) when the file is missing, unreadable,
  // read-only for a write, not SQLite, or holds no studies; nothing is created then.
  static Result<std::unique_ptr<SqliteStorage>> Open(const std::string& path, StorageAccess access);

  Result<int64_t> CreateStudy(const std::string& name, StudyDirection direction,
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
                                  const nlohmann::json& user_attrs = nlohmann::json::object()) override;
  Status SetTrialUserAttr(int64_t study_id, int number, const std::string& key,
                          const nlohmann::json& value) override;
  Status SetTrialSystemAttrs(int64_t study_id, int number, const nlohmann::json& attrs) override;
  Status RecordHeartbeats(int64_t study_id, const std::vector<int>& numbers) override;
  Result<std::vector<int>> StaleTrials(int64_t study_id, double grace_seconds) override;
  Result<StudySnapshot> ReadStudy(int64_t study_id,
                                  const SnapshotParts& parts = SnapshotParts::All()) override;
  Result<FrozenTrial> ReadTrial(int64_t study_id, int number) override;

 private:
  SqliteStorage(std::string path, std::unique_ptr<SQLite::Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  // Runs `body`, turning SQLite exceptions into errors that name the file.
  template <class F>
  auto Guarded(F&& body) -> decltype(body());

  StudyRecord ReadStudyRecord(int64_t study_id);
  // The whole study, or only the trial numbered `only_number`.
  StudySnapshot ReadSnapshot(int64_t study_id, std::optional<int> only_number,
                             const SnapshotParts& parts);
  // The trial's id and state, or an error for an unknown number.
  Result<std::pair<int64_t, TrialState>> LocateTrial(int64_t study_id, int number);
  Result<int64_t> LocateRunningTrial(int64_t study_id, int number);
  void InsertParams(int64_t trial_id, const std::map<std::string, TrialParam>& params);
  void UpsertHeartbeat(int64_t trial_id);
  Status UpsertStudyAttr(const char* table, int64_t study_id, const std::string& key,
                         const nlohmann::json& value);
  void InsertAttrs(const char* table, int64_t trial_id, const nlohmann::json& attrs);

  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  // Trial ids by (study id, number), as learned here; LocateTrial checks each use
  // against the row, so an entry made stale by another process costs one lookup.
  std::map<std::pair<int64_t, int>, int64_t> trial_ids_;
};

}  // namespace knob
