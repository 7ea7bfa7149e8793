// SPDX-License-Identifier: Apache-2.0
#include <compactor/http.hpp>

#include "util/headers.hpp"

#include <atomic>

namespace compactor::http {

std::string_view Request::header(std::string_view name) const {
  return util::find_header(headers, name).value_or(std::string_view());
}

Response Response::text(std::string body, int status) {
  return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

Response Response::json(std::string body, int status) {
  return {status, {{"Content-Type", "application/json"}}, std::move(body)};
}

Response Response::shared(std::shared_ptr<const std::string> body, std::string content_type,
                          int status) {
  Response response{status, {{"Content-Type", std::move(content_type)}}, {}};
  response.shared_body = std::move(body);
  return response;
}

struct Responder::State {
  explicit State(Deliver deliver) : deliver(std::move(deliver)) {}
  ~State() {
    if (!answered.exchange(true)) deliver(Response::text("the handler did not answer", 500));
  }
  Deliver deliver;
  std::atomic<bool> answered = false;
};

Responder::Responder(Deliver deliver) : state_(std::make_shared<State>(std::move(deliver))) {}

void Responder::operator()(Response response) const {
  if (!state_->answered.exchange(true)) state_->deliver(std::move(response));
}

bool Responder::pending() const { return !state_->answered.load(); }

}  // namespace compactor::http
