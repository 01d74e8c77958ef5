// The ranks of one data-parallel knob-train run, as torchrun's environment (and
// `knob run` with trainer.processes) describes them: RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT. The rendezvous goes through a c10d
// TCPStore that rank 0 serves at MASTER_ADDR:MASTER_PORT; the collectives run on
// Gloo for a CPU run and on NCCL for a CUDA run (when knob-train is built against
// a LibTorch with NCCL: KNOB_WITH_NCCL). Without WORLD_SIZE, or with 1, it is a
// group of one whose collectives do nothing. Used by knob-train's training loop;
// Torch code.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace knob {

struct WorldEnvironment {
  int rank = 0, size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
};

// Reads the variables through `get` (getenv, or a test's map); bad input names
// the variable that is malformed or missing.
Result<WorldEnvironment> ReadWorldEnvironment(const std::function<const char*(const char*)>& get);

class DataParallelGroup {
 public:
  // Joins the others (waits for them up to `timeout_seconds`); a runtime error
  // when the rendezvous fails. A world of one communicates only `even_alone`
  // (a test of the backend on one device).
  static Result<std::unique_ptr<DataParallelGroup>> Join(const WorldEnvironment& world, torch::Device device,
                                                         double timeout_seconds, bool even_alone = false);
  // Whether this build has the backend for `device`'s kind (Gloo: CPU, NCCL: CUDA).
  static bool Available(torch::Device device);
  ~DataParallelGroup();

  int rank() const { return world_.rank; }
  int size() const { return world_.size; }
  bool is_main() const { return world_.rank == 0; }

  // The collectives throw std::runtime_error (one line naming this rank) when
  // another rank is gone: the training loop cannot go on, and knob-train's main
  // turns it into its exit line.
  // Sums `t` over the ranks, in place (every rank gets the sum).
  void SumInPlace(torch::Tensor& t);
  // Every rank gets rank 0's values of `t`, in place.
  void BroadcastInPlace(torch::Tensor& t);
  // Each of `tensors` (views of a model's parameters or buffers) in turn.
  void BroadcastInPlace(std::vector<torch::Tensor> tensors);
  // Whether any rank's `flag` is set.
  bool Any(bool flag);
  // Returns once every rank has called it.
  void Barrier();

 private:
  struct Backend;
  DataParallelGroup(WorldEnvironment world, std::unique_ptr<Backend> backend);
  template <class Body>
  void Collective(const char* what, Body body);
  WorldEnvironment world_;
  std::unique_ptr<Backend> backend_;  // null for a group of one
};

}  // namespace knob
