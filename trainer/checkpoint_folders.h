// The checkpoint folders of a knob-train output_dir, HF's layout: `checkpoint-STEP/`.
// A checkpoint is written into a hidden temporary folder and renamed into place
// after its files are synced, so a kill at any moment leaves either a whole
// checkpoint or none (partial temporaries are removed at the next start). Also
// which checkpoints save_total_limit deletes: the oldest ones, never the best.
// Torch-free; used by trainer/checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace knob {

std::string CheckpointFolder(const std::string& output_dir, int64_t step);
// The temporary folder a checkpoint is written into before CommitCheckpoint.
std::string PartialCheckpointFolder(const std::string& output_dir, int64_t step);

// The step of a checkpoint folder path (".../checkpoint-120" -> 120); nullopt for
// any other name.
std::optional<int64_t> CheckpointStepOf(const std::string& folder);

// Steps of the complete checkpoints in output_dir, ascending.
std::vector<int64_t> CheckpointSteps(const std::string& output_dir);
void RemovePartialCheckpoints(const std::string& output_dir);

// Syncs the files of the partial folder, renames it to checkpoint-STEP (replacing
// an older one of the same step), syncs output_dir.
Status CommitCheckpoint(const std::string& output_dir, int64_t step);

// The steps to delete so that at most `limit` checkpoints remain, oldest first,
// keeping `best` (as HF: with limit 1 and a best that is not the newest, two remain).
std::vector<int64_t> CheckpointsToDelete(const std::vector<int64_t>& steps, std::optional<int> limit,
                                         std::optional<int64_t> best);

// "last" → the newest checkpoint of output_dir; a folder → itself. Bad input when
// there is none.
Result<std::string> ResolveResumeFolder(const std::string& output_dir, const std::string& resume_from_checkpoint);

// "auto" under knob: the newest checkpoint of the attempt this trial retries, whose
// folder is `resume_dir` ($KNOB_RESUME_DIR): `output_dir` as it was in that folder
// (output_dir inside `trial_dir`, or relative). "" when there is none: start fresh.
std::string AutoResumeFolder(const std::string& output_dir, const std::string& resume_dir,
                             const std::string& trial_dir);

}  // namespace knob
