// `knob dashboard`: serves the dashboard of one storage (all its studies, or one)
// on host:port until SIGINT or SIGTERM. A host other than loopback needs a
// token: the given one, or a new one printed with the URL.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace knob {

struct DashboardOptions {
  std::string storage;
  std::string study;  // empty: every study of the storage
  std::string host = "127.0.0.1";
  int port = 8080;    // 0: one the kernel picks (the printed URL names it)
  std::string token;  // required (or generated) for a host other than loopback
};

Status RunDashboard(const DashboardOptions& options);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackAddress(const std::string& host);

}  // namespace knob
