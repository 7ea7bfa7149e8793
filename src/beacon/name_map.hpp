// SPDX-License-Identifier: Apache-2.0
#pragma once
// Hash maps keyed by node name, found by std::string_view without building a std::string.

#include <compactor/detail/string_map.hpp>

namespace compactor::beacon {

template <class T>
using NameMap = detail::StringMap<T>;

}  // namespace compactor::beacon
