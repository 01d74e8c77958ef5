// dashboard: the read-only web view of a storage's studies (launcher/dashboard/).
#include <memory>

#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "launcher/dashboard/dashboard_server.h"

namespace knob {
namespace {

struct DashboardCommandOptions {
  StudyLocation location;
  DashboardOptions server;
};

Status RunDashboardCommand(const DashboardCommandOptions& o) {
  DashboardOptions options = o.server;
  options.storage = o.location.storage;
  options.study = o.location.study;
  if (!o.location.file.empty()) {
    KNOB_ASSIGN_OR_RETURN(StudyLocation location, ResolveStudyLocation(o.location));
    options.storage = location.storage;
    options.study = location.study;
  }
  if (options.storage.empty()) return Error::BadInput("--storage is required (or give the study file)");
  return RunDashboard(options);
}

}  // namespace

void AddDashboardCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<DashboardCommandOptions>();
  auto* cmd = app.add_subcommand(
      "dashboard", "Serve a read-only web dashboard of the storage's studies (or one study) while they run");
  AddStudyOrFileOptions(cmd, o->location);
  cmd->add_option("--host", o->server.host, "address to listen on; other than loopback needs a token")
      ->capture_default_str();
  cmd->add_option("--port", o->server.port, "port (0: any free one)")->capture_default_str();
  cmd->add_option("--token", o->server.token, "the token every request must carry (generated when needed)");
  cmd->callback([o, &status] { status = RunDashboardCommand(*o); });
}

}  // namespace knob
