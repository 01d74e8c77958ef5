// The dashboard's page, script and style sheet (launcher/dashboard/assets/),
// compiled into knob so that it serves them, and writes reports, with no files
// beside the binary and no network.
#pragma once

#include <string_view>

namespace knob {

// "index.html", "dashboard.js" or "dashboard.css"; empty for any other name.
std::string_view DashboardAsset(std::string_view name);

}  // namespace knob
