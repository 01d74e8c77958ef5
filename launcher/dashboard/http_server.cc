#include "launcher/dashboard/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/utf8.h"

namespace knob {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxConnections = 128;
constexpr auto kIdleTimeout = std::chrono::seconds(30);

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> DecodeUrlPart(std::string_view text, bool query) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexDigit(text[i + 1]);
      int low = HexDigit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += (query && c == '+') ? ' ' : c;
    }
  }
  if (FirstInvalidUtf8(out)) return std::nullopt;
  return out;
}

bool ParseRequestTarget(std::string_view target, HttpRequest& request) {
  size_t question = target.find('?');
  auto path = DecodeUrlPart(target.substr(0, question), false);
  if (!path || path->empty() || (*path)[0] != '/') return false;
  request.path = *path;
  if (question == std::string_view::npos) return true;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    auto key = DecodeUrlPart(pair.substr(0, eq), true);
    auto value = DecodeUrlPart(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    if (!key->empty()) request.query[*key] = *value;
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return true;
}

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io, HttpHandler handler) : acceptor(io), handler(std::move(handler)) {}
  tcp::acceptor acceptor;
  HttpHandler handler;
  size_t connections = 0;
  bool stopped = false;

  void Accept();
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServer::State> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}
  ~Connection() { --server_->connections; }

  void Read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(0);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset && ec != asio::error::eof) {
        Reply(http::status::bad_request, "text/plain", "bad request: " + ec.message() + "\n", false);
        return;
      }
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    const auto& message = parser_->get();
    bool keep_alive = message.keep_alive();
    if (message.method() != http::verb::get && message.method() != http::verb::head) {
      Reply(http::status::method_not_allowed, "text/plain", "the dashboard only reads: GET or HEAD\n", keep_alive,
            {{"Allow", "GET, HEAD"}});
      return;
    }
    HttpRequest request;
    request.method = std::string(message.method_string());
    auto target = message.target();
    if (!ParseRequestTarget(std::string_view(target.data(), target.size()), request)) {
      Reply(http::status::bad_request, "text/plain", "bad request: the URL is malformed\n", keep_alive);
      return;
    }
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    HttpResponse response;
    try {
      response = server_->handler(request);
    } catch (const std::exception& e) {
      response = {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
    }
    Reply(static_cast<http::status>(response.status), response.content_type,
          request.method == "HEAD" ? std::string() : std::move(response.body), keep_alive, response.headers);
  }

  void Reply(http::status status, const std::string& type, std::string body, bool keep_alive,
             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::server, "knob");
    response->set(http::field::content_type, type);
    response->set("X-Content-Type-Options", "nosniff");
    response->set("Referrer-Policy", "no-referrer");
    for (const auto& [name, value] : headers) response->set(name, value);
    response->body() = std::move(body);
    response->keep_alive(keep_alive);
    response->prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive || self->server_->stopped) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::shared_ptr<HttpServer::State> server_;
};

}  // namespace

void HttpServer::State::Accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (self->connections >= kMaxConnections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        ++self->connections;
        std::make_shared<Connection>(std::move(socket), self)->Read();
      }
    }
    self->Accept();
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(asio::io_context& io, const std::string& host, uint16_t port,
                                                       HttpHandler handler) {
  beast::error_code ec;
  std::string address_text = host == "localhost" ? "127.0.0.1" : host;
  auto address = asio::ip::make_address(address_text, ec);
  if (ec) return Error::BadInput("--host must be an IP address (127.0.0.1, 0.0.0.0, ::1), got '" + host + "'");
  auto state = std::make_shared<State>(io, std::move(handler));
  tcp::endpoint endpoint(address, port);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Error::Runtime("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  state->Accept();
  return std::unique_ptr<HttpServer>(new HttpServer(state));
}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::Stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

}  // namespace knob
