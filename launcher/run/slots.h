// Slots: the places a trial can run at once. With GPUs, each slot owns
// gpus_per_trial GPUs (shared by trials_per_gpu slots) and its trials see only
// those through CUDA_VISIBLE_DEVICES; without, there are cpu_slots slots (the
// cores by default) and CUDA_VISIBLE_DEVICES is empty. The GPUs come from
// $CUDA_VISIBLE_DEVICES, else `nvidia-smi`, else there are none.
// Called by the run command (to plan) and the orchestrator (to place trials).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "studies/study_file.h"

namespace knob {

struct Slot {
  int index = 0;
  std::vector<std::string> gpus;  // empty: a CPU slot
  int processes = 1;              // of each trial (trainer.processes)
  std::string CudaVisibleDevices() const;
  std::string Label() const;        // "gpu 0", "gpu 0,1", "cpu 3", "gpu 0,1 x2 processes"
  std::string DeviceLabel() const;  // what progress counts by: "gpu 0", "gpu 0,1" or "cpu"
};

// The label of the slot a trial's `knob:slot` system attribute records ("-" when
// it is not one): how `knob status` and the dashboard name where a trial ran.
std::string SlotLabelOfAttr(const nlohmann::json& slot);

struct MachineResources {
  std::vector<std::string> gpus;  // ids as CUDA_VISIBLE_DEVICES names them
  std::string gpu_source;         // "CUDA_VISIBLE_DEVICES", "nvidia-smi" or "none"
  int cores = 1;
};

// What this machine has.
MachineResources DetectResources();

// The slots for `spec` on `machine`, each with the processes per trial `trainer`
// asks for (per_gpu: one per GPU of the slot, one on a CPU slot). Without
// cpu_slots, CPU slots share the cores: cores / processes of them. Bad input when
// the spec names GPUs the machine does not have, or asks for more GPUs per trial
// than there are.
Result<std::vector<Slot>> PlanSlots(const ResourceSpec& spec, const MachineResources& machine,
                                    const TrainerSpec& trainer = {});

// Threads each trainer process may use so that all of them together (slots x
// processes per trial) use each core once; none (the libraries' own defaults, as
// the trainer would run alone) for a single process: a limit against
// oversubscription, never more threads than a library would take.
std::optional<int> ThreadsPerProcess(int cores, int processes);

}  // namespace knob
