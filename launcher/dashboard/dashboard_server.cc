#include "launcher/dashboard/dashboard_server.h"

#include <cstdio>

#include <boost/asio.hpp>

#include "launcher/dashboard/dashboard_routes.h"
#include "launcher/dashboard/http_server.h"
#include "studies/storage_url.h"

namespace knob {

bool IsLoopbackAddress(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

Status RunDashboard(const DashboardOptions& options) {
  if (options.port < 0 || options.port > 65535)
    return Error::BadInput("--port must be 0 to 65535, got " + std::to_string(options.port));
  DashboardConfig config;
  config.token = options.token;
  if (!config.token.empty() && (config.token.size() < 16 || config.token.size() > 256))
    return Error::BadInput("--token must be 16 to 256 characters");
  for (char c : config.token)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return Error::BadInput("--token may hold letters, digits, '-' and '_' only");
  bool loopback = IsLoopbackAddress(options.host);
  if (!loopback && config.token.empty()) config.token = NewDashboardToken();
  KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(options.storage, StorageAccess::kRead));
  if (!options.study.empty()) {
    KNOB_ASSIGN_OR_RETURN(StudyRecord record, storage->FindStudy(options.study));
    config.only_study_id = record.study_id;
  }
  DashboardRoutes routes(*storage, config);
  boost::asio::io_context io;
  KNOB_ASSIGN_OR_RETURN(auto server,
                        HttpServer::Listen(io, options.host, static_cast<uint16_t>(options.port),
                                           [&routes](const HttpRequest& r) { return routes.Handle(r); }));
  std::string shown = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::string url = "http://" + shown + ":" + std::to_string(server->port()) + "/";
  if (!config.token.empty()) url += "?token=" + config.token;
  std::printf("knob dashboard: %s (read only; Ctrl-C stops)\n", url.c_str());
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server->Stop();
    io.stop();
  });
  io.run();
  return {};
}

}  // namespace knob
