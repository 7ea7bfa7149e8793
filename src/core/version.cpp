// SPDX-License-Identifier: Apache-2.0
#include <compactor/version.hpp>

namespace compactor {

const char* version() noexcept { return COMPACTOR_VERSION_STRING; }

}  // namespace compactor
