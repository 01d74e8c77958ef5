// The `knob` subcommands. Each Add* function registers one subcommand on the app;
// when the user picks it, its callback runs the command and leaves the outcome in
// `status` for main() to turn into an exit code and a one-line message.
#pragma once

#include <CLI/CLI.hpp>

#include "base/result.h"

namespace knob {

void AddCreateStudyCommand(CLI::App& app, Status& status);
void AddStudiesCommand(CLI::App& app, Status& status);
void AddDeleteStudyCommand(CLI::App& app, Status& status);

void AddAskCommand(CLI::App& app, Status& status);
void AddTellCommand(CLI::App& app, Status& status);
void AddReportCommand(CLI::App& app, Status& status);
void AddEnqueueCommand(CLI::App& app, Status& status);
void AddSetUserAttrCommand(CLI::App& app, Status& status);

void AddTrialsCommand(CLI::App& app, Status& status);
void AddBestTrialCommand(CLI::App& app, Status& status);
void AddBestTrialsCommand(CLI::App& app, Status& status);
void AddImportanceCommand(CLI::App& app, Status& status);
void AddDashboardCommand(CLI::App& app, Status& status);

void AddRunCommand(CLI::App& app, Status& status);
void AddResumeCommand(CLI::App& app, Status& status);
void AddStatusCommand(CLI::App& app, Status& status);

}  // namespace knob
