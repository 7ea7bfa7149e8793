// SPDX-License-Identifier: Apache-2.0
#include "wire/request.hpp"

namespace compactor::wire {

std::string_view Request::header(std::string_view name) const {
  return util::find_header(headers, name).value_or(std::string_view());
}

bool Request::has_header(std::string_view name) const {
  return util::find_header(headers, name).has_value();
}

}  // namespace compactor::wire
