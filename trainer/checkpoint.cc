#include "trainer/checkpoint.h"

#include <filesystem>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "base/text_file.h"
#include "trainer/checkpoint_folders.h"

namespace knob {
namespace fs = std::filesystem;
namespace {

std::vector<std::pair<std::string, torch::Tensor>> NamedTensors(torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> all;
  for (const auto& p : model.named_parameters()) all.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) all.emplace_back(b.key(), b.value());
  return all;
}

}  // namespace

Status SaveModelWeights(torch::nn::Module& model, const std::string& path) {
  try {
    torch::serialize::OutputArchive archive;
    for (auto& [name, tensor] : NamedTensors(model)) archive.write(name, tensor.detach().cpu());
    archive.save_to(path);
  } catch (const std::exception& e) {
    return Error::Runtime("saving " + path + ": " + e.what());
  }
  return {};
}

Status LoadModelWeights(torch::nn::Module& model, const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {
    return Error::BadInput("cannot read model weights " + path + ": " + e.what());
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : NamedTensors(model)) {
    torch::Tensor saved;
    if (!archive.try_read(name, saved) || !saved.sizes().equals(tensor.sizes()))
      return Error::BadInput(path + ": no weights of the model's shape for '" + name + "'");
    tensor.copy_(saved);
  }
  return {};
}

Status SaveCheckpoint(const std::string& output_dir, CheckpointTarget target, const TrainerState& state,
                      const nlohmann::json& training_args, std::optional<int> save_total_limit) {
  const int64_t step = state.global_step;
  std::string partial = PartialCheckpointFolder(output_dir, step);
  std::error_code ec;
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec) return Error::Runtime("cannot create " + partial + ": " + ec.message());
  KNOB_RETURN_IF_ERROR(SaveModelWeights(target.model, partial + "/model.pt"));
  KNOB_RETURN_IF_ERROR(target.optimizer.Save(partial + "/optimizer.pt"));
  KNOB_RETURN_IF_ERROR(WriteTextFile(partial + "/trainer_state.json", state.ToJson().dump(2) + "\n"));
  KNOB_RETURN_IF_ERROR(WriteTextFile(partial + "/training_args.json", training_args.dump(2) + "\n"));
  KNOB_RETURN_IF_ERROR(CommitCheckpoint(output_dir, step));
  for (int64_t old : CheckpointsToDelete(CheckpointSteps(output_dir), save_total_limit,
                                         CheckpointStepOf(state.best_model_checkpoint)))
    fs::remove_all(CheckpointFolder(output_dir, old), ec);
  return {};
}

Result<TrainerState> LoadCheckpoint(const std::string& folder, CheckpointTarget target) {
  const std::string state_path = folder + "/trainer_state.json";
  std::optional<std::string> text = ReadTextFile(state_path);
  if (!text) return Error::BadInput("cannot read " + state_path);
  KNOB_ASSIGN_OR_RETURN(nlohmann::json json, ParseJsonText(state_path, *text));
  KNOB_ASSIGN_OR_RETURN(TrainerState state, TrainerState::FromJson(json));
  KNOB_RETURN_IF_ERROR(LoadModelWeights(target.model, folder + "/model.pt"));
  Status optimizer = target.optimizer.Load(folder + "/optimizer.pt");
  if (!optimizer.ok()) return Error::BadInput(optimizer.error().message);
  return state;
}

}  // namespace knob
