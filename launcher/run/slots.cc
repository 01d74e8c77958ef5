#include "launcher/run/slots.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/input_reader.h"
#include "launcher/run/trial_process.h"

namespace knob {
namespace {

std::vector<std::string> SplitIds(const std::string& text) {
  std::vector<std::string> ids;
  for (std::string id : SplitCommas(text)) {
    id.erase(0, id.find_first_not_of(" \t"));
    id.erase(id.find_last_not_of(" \t\n") + 1);
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> GpusFromNvidiaSmi() {
  if (FindExecutable("nvidia-smi").empty()) return {};
  FILE* pipe = popen("nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null", "r");
  if (!pipe) return {};
  std::vector<std::string> ids;
  char line[128];
  while (std::fgets(line, sizeof line, pipe)) {
    auto found = SplitIds(line);
    ids.insert(ids.end(), found.begin(), found.end());
  }
  if (pclose(pipe) != 0) return {};
  return ids;
}

}  // namespace

std::string Slot::CudaVisibleDevices() const {
  std::string text;
  for (const auto& g : gpus) text += (text.empty() ? "" : ",") + g;
  return text;
}

std::string Slot::Label() const {
  std::string label = gpus.empty() ? "cpu " + std::to_string(index) : "gpu " + CudaVisibleDevices();
  return processes > 1 ? label + " x" + std::to_string(processes) + " processes" : label;
}

std::string Slot::DeviceLabel() const { return gpus.empty() ? "cpu" : "gpu " + CudaVisibleDevices(); }

std::string SlotLabelOfAttr(const nlohmann::json& slot) {
  if (!slot.is_object() || !slot.contains("index") || !slot["index"].is_number_integer()) return "-";
  const auto& gpus = slot.value("gpus", nlohmann::json::array());
  const auto& processes = slot.value("processes", nlohmann::json(1));
  Slot parsed{slot["index"].get<int>(), {}, processes.is_number_integer() ? processes.get<int>() : 1};
  if (gpus.is_array())
    for (const auto& g : gpus)
      if (g.is_string()) parsed.gpus.push_back(g.get<std::string>());
  return parsed.Label();
}

MachineResources DetectResources() {
  MachineResources machine;
  cpu_set_t set;
  machine.cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                              : static_cast<int>(std::thread::hardware_concurrency());
  machine.cores = std::max(machine.cores, 1);
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    machine.gpu_source = "CUDA_VISIBLE_DEVICES";
    for (const auto& id : SplitIds(visible)) {
      if (id == "-1" || id == "none") break;  // CUDA stops at an invalid id
      machine.gpus.push_back(id);
    }
    return machine;
  }
  machine.gpus = GpusFromNvidiaSmi();
  machine.gpu_source = machine.gpus.empty() ? "none" : "nvidia-smi";
  return machine;
}

Result<std::vector<Slot>> PlanSlots(const ResourceSpec& spec, const MachineResources& machine,
                                    const TrainerSpec& trainer) {
  std::vector<std::string> gpus;
  if (spec.gpus == "all") {
    gpus = machine.gpus;
  } else if (spec.gpus == "list") {
    for (const auto& id : spec.gpu_ids) {
      if (std::find(machine.gpus.begin(), machine.gpus.end(), id) == machine.gpus.end()) {
        std::string have;
        for (const auto& g : machine.gpus) have += (have.empty() ? "" : ",") + g;
        return Error::BadInput("resources.gpus: GPU " + id + " is not available (" + machine.gpu_source +
                               (have.empty() ? " finds none" : " gives " + have) + ")");
      }
      gpus.push_back(id);
    }
  }
  std::vector<Slot> slots;
  if (gpus.empty()) {
    const int processes = trainer.processes_per_gpu ? 1 : trainer.processes;
    int n = spec.cpu_slots.value_or(std::max(1, machine.cores / processes));
    for (int i = 0; i < n; ++i) slots.push_back(Slot{i, {}, processes});
    return slots;
  }
  if (spec.gpus_per_trial > static_cast<int>(gpus.size()))
    return Error::BadInput("resources.gpus_per_trial: " + std::to_string(spec.gpus_per_trial) +
                           " GPUs per trial, but only " + std::to_string(gpus.size()) + " are used");
  // GPU groups; spread trials over groups first, then stack trials_per_gpu deep.
  std::vector<std::vector<std::string>> groups;
  for (size_t i = 0; i + spec.gpus_per_trial <= gpus.size(); i += spec.gpus_per_trial)
    groups.emplace_back(gpus.begin() + i, gpus.begin() + i + spec.gpus_per_trial);
  for (int layer = 0; layer < spec.trials_per_gpu; ++layer)
    for (const auto& group : groups)
      slots.push_back(Slot{static_cast<int>(slots.size()), group,
                           trainer.processes_per_gpu ? static_cast<int>(group.size()) : trainer.processes});
  return slots;
}

std::optional<int> ThreadsPerProcess(int cores, int processes) {
  if (processes <= 1) return std::nullopt;
  return std::max(1, cores / processes);
}

}  // namespace knob
