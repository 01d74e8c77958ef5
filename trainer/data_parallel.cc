#include "trainer/data_parallel.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#ifdef KNOB_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef KNOB_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "base/input_reader.h"

namespace knob {
namespace {

// What ProcessGroupGloo and ProcessGroupNCCL derive from: c10d's Backend since
// LibTorch 2.0, its ProcessGroup before.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

// An integer variable in [low, high] (the text read by base/input_reader's
// ParseInteger), or `fallback` when it is unset.
Result<int> ReadInt(const std::function<const char*(const char*)>& get, const char* name, int low, int high,
                    std::optional<int> fallback) {
  const char* text = get(name);
  if (!text || !*text) {
    if (fallback) return *fallback;
    return Error::BadInput(std::string(name) + ": not set (a data-parallel run needs RANK, WORLD_SIZE, "
                                               "MASTER_ADDR and MASTER_PORT, as torchrun and knob run set them)");
  }
  KNOB_ASSIGN_OR_RETURN(int64_t value, ParseInteger(name, text));
  if (value < low || value > high)
    return Error::BadInput(std::string(name) + ": expected an integer from " + std::to_string(low) + " to " +
                           std::to_string(high) + ", got " + QuoteForMessage(text));
  return static_cast<int>(value);
}

// Waits until something accepts connections at addr:port. c10d's TCPStore client
// retries a refused connection only after a second: ranks started together with
// rank 0 (as knob starts them) would each lose that second to rank 0's start-up.
void WaitForListener(const std::string& addr, int port, double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(addr.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  while (std::chrono::steady_clock::now() < deadline) {
    bool accepted = false;
    for (addrinfo* a = found; a && !accepted; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      accepted = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
      close(fd);
    }
    if (accepted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  freeaddrinfo(found);
}

}  // namespace

Result<WorldEnvironment> ReadWorldEnvironment(const std::function<const char*(const char*)>& get) {
  WorldEnvironment world;
  KNOB_ASSIGN_OR_RETURN(world.size, ReadInt(get, "WORLD_SIZE", 1, 65536, 1));
  if (world.size == 1) return world;
  KNOB_ASSIGN_OR_RETURN(world.rank, ReadInt(get, "RANK", 0, world.size - 1, std::nullopt));
  KNOB_ASSIGN_OR_RETURN(world.local_rank, ReadInt(get, "LOCAL_RANK", 0, 65535, world.rank));
  KNOB_ASSIGN_OR_RETURN(world.master_port, ReadInt(get, "MASTER_PORT", 1, 65535, std::nullopt));
  const char* addr = get("MASTER_ADDR");
  if (addr && *addr) world.master_addr = addr;
  return world;
}

struct DataParallelGroup::Backend {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> group;
  torch::Device device = torch::kCPU;
};

bool DataParallelGroup::Available(torch::Device device) {
#ifdef KNOB_WITH_NCCL
  if (device.is_cuda()) return true;
#endif
#ifdef KNOB_WITH_GLOO
  if (device.is_cpu()) return true;
#endif
  return false;
}

Result<std::unique_ptr<DataParallelGroup>> DataParallelGroup::Join(const WorldEnvironment& world, torch::Device device,
                                                                   double timeout_seconds, bool even_alone) {
  if (world.size == 1 && !even_alone) return std::unique_ptr<DataParallelGroup>(new DataParallelGroup(world, nullptr));
  auto backend = std::make_unique<Backend>();
  backend->device = device;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  if (world.rank != 0) WaitForListener(world.master_addr, world.master_port, timeout_seconds);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(world.master_port);
    options.isServer = world.rank == 0;
    options.numWorkers = world.size;
    options.waitWorkers = true;
    options.timeout = timeout;
    backend->store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, options);
    if (device.is_cuda()) {
#ifdef KNOB_WITH_NCCL
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      backend->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(backend->store, world.rank, world.size, nccl);
#else
      return Error::BadInput("a data-parallel CUDA run needs knob-train built with NCCL (KNOB_WITH_NCCL)");
#endif
    } else {
#ifdef KNOB_WITH_GLOO
      auto gloo = c10d::ProcessGroupGloo::Options::create();
      gloo->timeout = timeout;
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(world.master_addr));
      backend->group = c10::make_intrusive<c10d::ProcessGroupGloo>(backend->store, world.rank, world.size, gloo);
#else
      return Error::BadInput("a data-parallel CPU run needs knob-train built with Gloo (KNOB_WITH_GLOO)");
#endif
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    return Error::Runtime("rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) +
                          " could not join the others at " + world.master_addr + ":" +
                          std::to_string(world.master_port) + ": " + what.substr(0, what.find('\n')));
  }
  return std::unique_ptr<DataParallelGroup>(new DataParallelGroup(world, std::move(backend)));
}

DataParallelGroup::DataParallelGroup(WorldEnvironment world, std::unique_ptr<Backend> backend)
    : world_(std::move(world)), backend_(std::move(backend)) {}

DataParallelGroup::~DataParallelGroup() = default;

// Runs one collective; c10d's failure (a rank that died closes its connections)
// becomes one line that says which rank saw it and what it was doing.
template <class Body>
void DataParallelGroup::Collective(const char* what, Body body) {
  try {
    body();
  } catch (const std::exception& e) {
    std::string cause = e.what();
    cause = cause.substr(0, cause.find('\n'));
    if (size_t at = cause.rfind("] "); at != std::string::npos && cause[0] == '[') cause = cause.substr(at + 2);
    throw std::runtime_error("rank " + std::to_string(world_.rank) + " of " + std::to_string(world_.size) + ": " +
                             what + " failed, another rank has probably ended: " + cause);
  }
}

void DataParallelGroup::SumInPlace(torch::Tensor& t) {
  if (!backend_) return;
  Collective("a sum over the ranks", [&] {
    std::vector<torch::Tensor> tensors{t};
    backend_->group->allreduce(tensors)->wait();
  });
}

void DataParallelGroup::BroadcastInPlace(torch::Tensor& t) {
  if (!backend_) return;
  Collective("a broadcast from rank 0", [&] {
    std::vector<torch::Tensor> tensors{t};
    backend_->group->broadcast(tensors)->wait();
  });
}

void DataParallelGroup::BroadcastInPlace(std::vector<torch::Tensor> tensors) {
  for (auto& t : tensors) BroadcastInPlace(t);
}

bool DataParallelGroup::Any(bool flag) {
  if (!backend_) return flag;
  torch::Tensor t = torch::full({1}, flag ? 1.0f : 0.0f, torch::TensorOptions().device(backend_->device));
  SumInPlace(t);
  return t.item<float>() > 0;
}

void DataParallelGroup::Barrier() {
  if (!backend_) return;
  Collective("a barrier", [&] { backend_->group->barrier()->wait(); });
}

}  // namespace knob
