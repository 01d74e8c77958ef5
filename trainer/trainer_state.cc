#include "trainer/trainer_state.h"

namespace knob {

bool LossScale::Update(bool gradients_finite) {
  if (!gradients_finite) {
    scale /= 2;
    good_steps = 0;
    return false;
  }
  if (++good_steps >= 2000) scale *= 2, good_steps = 0;
  return true;
}

nlohmann::json TrainerState::ToJson() const {
  return {{"global_step", global_step},
          {"epoch", epoch},
          {"max_steps", max_steps},
          {"best_metric", best_metric ? nlohmann::json(*best_metric) : nlohmann::json()},
          {"best_model_checkpoint", best_model_checkpoint.empty() ? nlohmann::json() : nlohmann::json(best_model_checkpoint)},
          {"log_history", log_history},
          {"knob", {{"samples_seen", samples_seen},
                    {"evals_without_improvement", evals_without_improvement},
                    {"running_loss", running_loss},
                    {"logged_micro", logged_micro},
                    {"loss_scale", loss_scale.scale},
                    {"loss_scale_good_steps", loss_scale.good_steps},
                    {"world_size", world_size}}}};
}

Result<TrainerState> TrainerState::FromJson(const nlohmann::json& json) {
  TrainerState s;
  try {
    s.global_step = json.at("global_step").get<int64_t>();
    s.epoch = json.at("epoch").get<double>();
    s.max_steps = json.at("max_steps").get<int64_t>();
    if (!json.at("best_metric").is_null()) s.best_metric = json.at("best_metric").get<double>();
    if (!json.at("best_model_checkpoint").is_null())
      s.best_model_checkpoint = json.at("best_model_checkpoint").get<std::string>();
    s.log_history = json.at("log_history");
    const auto& k = json.at("knob");
    s.samples_seen = k.at("samples_seen").get<int64_t>();
    s.evals_without_improvement = k.at("evals_without_improvement").get<int>();
    s.running_loss = k.at("running_loss").get<double>();
    s.logged_micro = k.at("logged_micro").get<int64_t>();
    s.loss_scale.scale = k.at("loss_scale").get<double>();
    s.loss_scale.good_steps = k.at("loss_scale_good_steps").get<int64_t>();
    s.world_size = k.value("world_size", 1);  // checkpoints from before data parallel: one process
  } catch (const nlohmann::json::exception& e) {
    return Error::BadInput(std::string("trainer_state.json: ") + e.what());
  }
  return s;
}

}  // namespace knob
