// knob-train: trains a model with the Hugging Face Trainer's contract
// (TrainingArguments names and defaults, checkpoints, best-model reload, resume),
// reporting each evaluation to knob and stopping when pruned.
//   knob-train --config train.json [--set key=value ...]
// This file reads the command line and the config and hands them to
// RunTraining (trainer/training_run.h). Exit codes: 0 done (or pruned, or stopped
// by SIGTERM/SIGINT after saving a checkpoint), 2 bad input, 1 other errors
// (LibTorch's exceptions, CUDA out of memory among them, as one line).
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "base/result.h"
#include "base/text_file.h"
#include "trainer/training_arguments.h"
#include "trainer/training_run.h"

namespace knob {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

constexpr const char* kUsage =
    "usage: knob-train --config FILE.json [--set key=value ...]  "
    "(Hugging Face TrainingArguments names plus model and dataset sections; see the README)";

void RequestStop(int) { stop_requested = 1; }

struct Config {
  nlohmann::json json;
  TrainingArguments args;
};

Result<Config> LoadConfig(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> sets;
  for (int i = 1; i < argc; ++i) {
    KNOB_RETURN_IF_ERROR(CheckText("argument " + std::to_string(i), argv[i], 64u << 20));
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) config_path = argv[++i];
    else if (arg == "--set" && i + 1 < argc) sets.push_back(argv[++i]);
    else return Error::BadInput("unexpected argument '" + arg + "'; " + kUsage);
  }
  if (config_path.empty()) return Error::BadInput(kUsage);
  std::optional<std::string> text = ReadTextFile(config_path);
  if (!text) return Error::BadInput("cannot read config '" + config_path + "'");
  Config config;
  KNOB_ASSIGN_OR_RETURN(config.json, ParseJsonText(config_path, *text));
  KNOB_ASSIGN_OR_RETURN(config.json, ApplyOverrides(std::move(config.json), sets));
  KNOB_ASSIGN_OR_RETURN(config.args, ParseTrainingArguments(config.json));
  return config;
}

}  // namespace
}  // namespace knob

int main(int argc, char** argv) {
  // Training frees and allocates the same large buffers every step; without this
  // glibc returns them to the kernel and every step pays page faults again.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") return std::printf("%s\n", knob::kUsage), 0;
  std::signal(SIGTERM, knob::RequestStop);
  std::signal(SIGINT, knob::RequestStop);
  auto config = knob::LoadConfig(argc, argv);
  knob::Status status = config.ok() ? knob::Status() : knob::Status(config.error());
  if (config.ok()) {
    try {
      status = knob::RunTraining(config->args, config->json, knob::stop_requested);
    } catch (const std::exception& e) {
      // LibTorch reports failures (CUDA out of memory, shape errors) as exceptions
      // with several lines; the first says what happened.
      std::string what = e.what();
      status = knob::Error::Runtime(what.substr(0, what.find('\n')));
    }
  }
  if (!status.ok()) {
    std::fprintf(stderr, "knob-train: %s\n", status.error().message.c_str());
    return status.error().ExitCode();
  }
  return 0;
}
