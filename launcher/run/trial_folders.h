// The folders of a study's trials, which belong to knob: an output folder is
// claimed for one study of one storage (a `.knob-study` file in it) and refused
// for any other, so that two studies never mix or wipe each other's trials; each
// trial gets `trial-NNNNN/` with its params.json and trainer.log, and a failure
// to write them is reported as knob's own (a full disk), not the trainer's.
// Called by the orchestrator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "studies/storage.h"

namespace knob {

// Bad input when `output_dir` holds another study's trials (or trial folders of
// unknown origin), checked before anything is written; `study_id` is the study's
// when it exists already (a folder claimed by a deleted study of that name is
// refused too).
Status CheckOutputFolder(const std::string& output_dir, const std::string& storage,
                         const std::string& study, std::optional<int64_t> study_id);

// Checks as above, creates `output_dir` if needed and claims it for `study`.
Status ClaimOutputFolder(const std::string& output_dir, const std::string& storage,
                         const StudyRecord& study);

// `knob delete-study --purge`: removes the trial folders (`trial_dirs`, from the
// trials' knob:trial_dir) that lie in output folders claimed by `study` of
// `storage`, then each such folder's claim and event log, and the folder when it
// is left empty. Folders that are not the study's are left alone. Returns how many
// trial folders it removed.
int PurgeTrialFolders(const std::vector<std::string>& trial_dirs, const std::string& storage,
                      const StudyRecord& study);

// <output_dir>/trial-00042
std::string TrialFolder(const std::string& output_dir, int number);

// Makes the trial's folder afresh with params.json and an empty trainer.log;
// a runtime error naming the file and the system's reason when a write fails.
Status PrepareTrialFolder(const std::string& dir, const std::string& params_json);

// Removes the checkpoint-* folders (HF Trainer's and knob-train's) found up to
// three levels below `trial_dir`; returns how many it removed. Never fails: what
// cannot be removed stays.
int RemoveCheckpoints(const std::string& trial_dir);

// The last `count` non-empty lines of the text file `path` (read from its last
// 64 KiB), made printable; empty when there is none.
std::vector<std::string> LastLines(const std::string& path, int count);

}  // namespace knob
