// What the dashboard answers: its page and assets, and a read-only JSON API over
// one storage (the studies; a study's trials, whole or changed since a cursor;
// a trial's detail; the tail of a file in its folder; parameter importances).
// Every request is checked first: the token when one is set (a bearer header, a
// `token` query parameter, or the cookie the page gets), else a Host header that
// names this machine's loopback (so a web page elsewhere cannot reach it through
// DNS rebinding). Each answer is one short read transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "launcher/dashboard/http_server.h"
#include "studies/storage.h"

namespace knob {

struct DashboardConfig {
  std::optional<int64_t> only_study_id;  // --study: the other studies are not shown
  std::string token;                     // empty: loopback only, no token
  size_t file_tail_bytes = 64 * 1024;    // how much of a trial's log a request gets
};

class DashboardRoutes {
 public:
  DashboardRoutes(Storage& storage, DashboardConfig config) : storage_(storage), config_(std::move(config)) {}
  HttpResponse Handle(const HttpRequest& request);

 private:
  std::optional<HttpResponse> Refusal(const HttpRequest& request) const;
  HttpResponse Api(const HttpRequest& request);

  Storage& storage_;
  DashboardConfig config_;
};

// A random token of 32 hex digits (from the kernel's random source).
std::string NewDashboardToken();

}  // namespace knob
