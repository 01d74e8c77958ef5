// The `knob` command line: parses arguments with CLI11, runs the chosen
// subcommand, prints a failure as one line on stderr and maps it to the exit code
// (0 ok, 1 runtime failure, 2 bad input, 3 nothing left to ask).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "base/input_reader.h"
#include "launcher/commands/commands.h"

namespace {

constexpr const char* kVersion = "0.1.0";

// The longest failure message printed: input quoted in a message is already cut
// shorter, but a message may name several inputs (a parameter's name, say).
constexpr size_t kMaxMessageBytes = 2000;

// A failure as one printable line: control characters (a newline or NUL in a
// parameter's name) and invalid UTF-8 escaped, the whole cut to kMaxMessageBytes.
std::string PrintableMessage(const std::string& message) {
  return knob::PrintableExcerpt(message, kMaxMessageBytes);
}

std::string OneLineFailure(const CLI::App* app, const CLI::Error& e) {
  std::string message = e.what();
  for (char& c : message)
    if (c == '\n') c = ' ';
  message = PrintableMessage(message);
  // Point at the help of the subcommand being parsed, when there is one.
  std::string command = app->get_name();
  for (const CLI::App* sub : app->get_subcommands()) command += " " + sub->get_name();
  return "knob: " + message + " (see `" + command + " --help`)\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"knob: hyperparameter studies stored in SQLite that Optuna can open", "knob"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.failure_message(OneLineFailure);

  // Arguments are input like any other: text that is not UTF-8 goes no further.
  for (int i = 1; i < argc; ++i) {
    knob::Status valid = knob::CheckText("argument " + std::to_string(i), argv[i], 64u << 20);
    if (!valid.ok()) {
      std::fprintf(stderr, "knob: %s\n", PrintableMessage(valid.error().message).c_str());
      return 2;
    }
  }

  knob::Status status;
  knob::AddCreateStudyCommand(app, status);
  knob::AddStudiesCommand(app, status);
  knob::AddDeleteStudyCommand(app, status);
  knob::AddAskCommand(app, status);
  knob::AddTellCommand(app, status);
  knob::AddReportCommand(app, status);
  knob::AddEnqueueCommand(app, status);
  knob::AddSetUserAttrCommand(app, status);
  knob::AddTrialsCommand(app, status);
  knob::AddBestTrialCommand(app, status);
  knob::AddBestTrialsCommand(app, status);
  knob::AddRunCommand(app, status);
  knob::AddResumeCommand(app, status);
  knob::AddStatusCommand(app, status);
  knob::AddImportanceCommand(app, status);
  knob::AddDashboardCommand(app, status);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    // Input is checked where it is read and errors are values; an exception reaching
    // here is a bug. One line and exit 1 rather than an abort and a core file.
    std::fprintf(stderr, "knob: internal error (a bug in knob, please report it): %s\n",
                 PrintableMessage(e.what()).c_str());
    return 1;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "knob: %s\n", PrintableMessage(status.error().message).c_str());
    return status.error().ExitCode();
  }
  return 0;
}
