// SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP endpoints of processes, served on the context's port beside libprocess messages:
// `GET /<process id>/<route>` reaches that process's longest matching route.

#include <compactor/export.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace compactor::http {

/// Header fields, (name, value), in the order sent.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// An HTTP request to a process's route.
struct COMPACTOR_API Request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< below the process id, percent-decoded: "/status" for "/api/status?x"
  std::string query;   ///< raw, without '?': "x=1&y=2"
  Headers headers;     ///< as sent
  std::string body;    ///< after chunked and gzip decoding
  /// Who the request proved to be, on a route with a realm (see authentication.hpp).
  std::optional<std::string> principal;

  /// The value of the first header named `name` (any case); "" if none.
  std::string_view header(std::string_view name) const;
};

/// An HTTP response.
struct COMPACTOR_API Response {
  int status = 200;  ///< 200 OK, 404 Not Found, ...
  Headers headers;   ///< Date, Content-Length and Connection are written by the server
  std::string body;  ///< gzipped on the way when large and the client accepts it
  /// A body shared by many answers, sent instead of `body` when set: a large document served to
  /// many clients is held once, however many connections are still sending it. (A `body` handed
  /// over by move is not copied either; this is for the same bytes answered again and again.)
  std::shared_ptr<const std::string> shared_body{};

  /// A response with `body` as text/plain (UTF-8), or as application/json.
  ///@{
  static Response text(std::string body, int status = 200);
  static Response json(std::string body, int status = 200);
  ///@}
  /// A response whose body is `body`, shared, with the given Content-Type.
  static Response shared(std::shared_ptr<const std::string> body, std::string content_type,
                         int status = 200);
  /// The body that is sent: `shared_body` if set, else `body`.
  std::string_view payload() const { return shared_body ? *shared_body : body; }
};

/// Answers one request, once, from any thread, now or later. A responder dropped without an
/// answer answers 500, so a client never waits for a lost request.
class COMPACTOR_API Responder {
 public:
  /// Sends the response on its way (given by the server).
  using Deliver = std::function<void(Response)>;
  /// A responder that answers through `deliver` (the server makes them; tests may too).
  explicit Responder(Deliver deliver);

  /// Answers with `response`; later calls are ignored.
  void operator()(Response response) const;
  /// False once it answered.
  bool pending() const;

 private:
  struct COMPACTOR_NO_EXPORT State;
  std::shared_ptr<State> state_;
};

/// A route's handler: runs on the process, like a message handler.
using Route = std::function<void(const Request& request, Responder respond)>;

}  // namespace compactor::http
