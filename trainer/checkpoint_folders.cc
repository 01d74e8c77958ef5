#include "trainer/checkpoint_folders.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace knob {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPrefix = "checkpoint-";
constexpr const char* kPartialPrefix = ".partial-checkpoint-";

bool SyncPath(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string CheckpointFolder(const std::string& output_dir, int64_t step) {
  return (fs::path(output_dir) / (kPrefix + std::to_string(step))).string();
}

std::string PartialCheckpointFolder(const std::string& output_dir, int64_t step) {
  return (fs::path(output_dir) / (kPartialPrefix + std::to_string(step))).string();
}

std::optional<int64_t> CheckpointStepOf(const std::string& folder) {
  std::string name = fs::path(folder).filename().string();
  if (name.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::string digits = name.substr(std::strlen(kPrefix));
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(digits);
}

std::vector<int64_t> CheckpointSteps(const std::string& output_dir) {
  std::vector<int64_t> steps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec))
    if (auto step = CheckpointStepOf(entry.path().string()); step && entry.is_directory()) steps.push_back(*step);
  std::sort(steps.begin(), steps.end());
  return steps;
}

void RemovePartialCheckpoints(const std::string& output_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec))
    if (entry.path().filename().string().rfind(kPartialPrefix, 0) == 0) fs::remove_all(entry.path(), ec);
}

Status CommitCheckpoint(const std::string& output_dir, int64_t step) {
  fs::path partial = PartialCheckpointFolder(output_dir, step), final_path = CheckpointFolder(output_dir, step);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(partial, ec))
    if (!SyncPath(entry.path())) return Error::Runtime("checkpoint: cannot sync " + entry.path().string());
  if (!SyncPath(partial)) return Error::Runtime("checkpoint: cannot sync " + partial.string());
  if (fs::exists(final_path)) {
    fs::path old = partial.string() + ".replaced";
    fs::rename(final_path, old, ec);
    if (ec) return Error::Runtime("checkpoint: cannot replace " + final_path.string() + ": " + ec.message());
    fs::remove_all(old, ec);
  }
  fs::rename(partial, final_path, ec);
  if (ec) return Error::Runtime("checkpoint: cannot rename into " + final_path.string() + ": " + ec.message());
  if (!SyncPath(output_dir)) return Error::Runtime("checkpoint: cannot sync " + output_dir);
  return {};
}

std::vector<int64_t> CheckpointsToDelete(const std::vector<int64_t>& steps, std::optional<int> limit,
                                         std::optional<int64_t> best) {
  if (!limit || static_cast<int64_t>(steps.size()) <= *limit) return {};
  // HF moves the best checkpoint just before the newest and deletes from the front.
  std::vector<int64_t> order = steps;
  int keep = *limit;
  if (best && order.back() != *best && std::find(order.begin(), order.end(), *best) != order.end()) {
    if (keep == 1) keep = 2;
    order.erase(std::find(order.begin(), order.end(), *best));
    order.insert(order.end() - 1, *best);
  }
  if (static_cast<int64_t>(order.size()) <= keep) return {};
  return std::vector<int64_t>(order.begin(), order.end() - keep);
}

Result<std::string> ResolveResumeFolder(const std::string& output_dir, const std::string& resume_from_checkpoint) {
  if (resume_from_checkpoint == "last") {
    auto steps = CheckpointSteps(output_dir);
    if (steps.empty()) return Error::BadInput("resume_from_checkpoint: no checkpoint in '" + output_dir + "'");
    return CheckpointFolder(output_dir, steps.back());
  }
  if (!fs::is_regular_file(fs::path(resume_from_checkpoint) / "trainer_state.json"))
    return Error::BadInput("resume_from_checkpoint: '" + resume_from_checkpoint + "' is not a checkpoint folder");
  return resume_from_checkpoint;
}

std::string AutoResumeFolder(const std::string& output_dir, const std::string& resume_dir,
                             const std::string& trial_dir) {
  if (resume_dir.empty()) return "";
  std::error_code ec;
  fs::path out = fs::absolute(output_dir, ec).lexically_normal();
  fs::path old_out;
  if (!trial_dir.empty()) {
    fs::path inside = out.lexically_relative(fs::path(trial_dir).lexically_normal());
    if (!inside.empty() && *inside.begin() != "..") old_out = fs::path(resume_dir) / inside;
  }
  if (old_out.empty() && fs::path(output_dir).is_relative()) old_out = fs::path(resume_dir) / output_dir;
  if (old_out.empty()) return "";
  auto steps = CheckpointSteps(old_out.lexically_normal().string());
  for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
    std::string folder = CheckpointFolder(old_out.lexically_normal().string(), *step);
    if (fs::is_regular_file(fs::path(folder) / "trainer_state.json", ec)) return folder;
  }
  return "";
}

}  // namespace knob
