# SPDX-License-Identifier: Apache-2.0
# An INTERFACE target carrying the project's warning flags; every target of ours links it.
add_library(compactor_warnings INTERFACE)
target_compile_options(compactor_warnings INTERFACE -Wall -Wextra -Werror -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 at -O3 reports impossible overlaps in std::string concatenation (GCC bug 105651).
  target_compile_options(compactor_warnings INTERFACE -Wno-restrict)
endif()
if(COMPACTOR_SANITIZERS AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC's flow analysis under -fsanitize reports false maybe-uninitialized in libstdc++ (std::regex,
  # std::function); the plain build keeps the warning.
  target_compile_options(compactor_warnings INTERFACE -Wno-maybe-uninitialized)
  if(COMPACTOR_SANITIZERS MATCHES "thread")
    # asio's fenced blocks use std::atomic_thread_fence, which GCC's -Wtsan flags as unmodelled.
    target_compile_options(compactor_warnings INTERFACE -Wno-tsan)
  endif()
endif()
