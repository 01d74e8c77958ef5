// Saving and loading knob-train checkpoints: `checkpoint-STEP/` with model.pt
// (parameters and buffers by name), optimizer.pt, trainer_state.json and
// training_args.json, written atomically (trainer/checkpoint_folders.h), then the
// oldest beyond save_total_limit removed, never the best. Weights are copied into
// the existing tensors, so parameters that live in flat optimizer buffers stay
// there. Torch code.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "trainer/optimizers.h"
#include "trainer/trainer_state.h"

namespace knob {

Status SaveModelWeights(torch::nn::Module& model, const std::string& path);
// Bad input when a name or shape differs from the model's.
Status LoadModelWeights(torch::nn::Module& model, const std::string& path);

struct CheckpointTarget {
  torch::nn::Module& model;
  TrainingOptimizer& optimizer;
};

// Writes checkpoint-STEP for state.global_step, then applies save_total_limit.
Status SaveCheckpoint(const std::string& output_dir, CheckpointTarget target, const TrainerState& state,
                      const nlohmann::json& training_args, std::optional<int> save_total_limit);

// Restores model, optimizer and state from a checkpoint folder.
Result<TrainerState> LoadCheckpoint(const std::string& folder, CheckpointTarget target);

}  // namespace knob
