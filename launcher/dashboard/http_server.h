// A small HTTP/1.1 server on Boost.Beast for the dashboard: it accepts on one
// address, reads each request (GET or HEAD, headers at most 16 KiB, no body),
// hands it to a handler as plain data and writes back what the handler returns.
// Connections are kept alive, time out after 30 s idle, and are capped, so a
// client that opens many and sends nothing cannot exhaust the process. It runs
// on the caller's io_context; the handler runs on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "base/result.h"

namespace knob {

struct HttpRequest {
  std::string method;                          // GET or HEAD
  std::string path;                            // percent-decoded, without the query
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names in lower case
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Percent-decoding of a URL part ('+' is a space in a query); nullopt when an
// escape is malformed or the result is not UTF-8.
std::optional<std::string> DecodeUrlPart(std::string_view text, bool query);

// Splits a request target ("/a%20b?x=1&y") into the request's decoded path and
// query; false when it is malformed.
bool ParseRequestTarget(std::string_view target, HttpRequest& request);

class HttpServer {
 public:
  // Listens on host:port (port 0: one the kernel picks). Bad input when the
  // address is not one; runtime error when it cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Listen(boost::asio::io_context& io, const std::string& host,
                                                    uint16_t port, HttpHandler handler);
  ~HttpServer();
  uint16_t port() const;
  void Stop();

  struct State;

 private:
  explicit HttpServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace knob
