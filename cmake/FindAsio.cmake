# SPDX-License-Identifier: Apache-2.0
# Finds standalone (non-Boost) asio (Debian: libasio-dev). Provides the imported target Asio::Asio.
find_path(Asio_INCLUDE_DIR asio.hpp)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Asio REQUIRED_VARS Asio_INCLUDE_DIR)
if(Asio_FOUND AND NOT TARGET Asio::Asio)
  add_library(Asio::Asio INTERFACE IMPORTED)
  # ASIO_DISABLE_STD_ALIGNED_ALLOC: asio decides between aligned_alloc/free and operator
  # new/delete for its handler memory by whether libstdc++'s config was seen before asio's, so
  # the choice follows each file's include order; a block one file allocates and another frees
  # then mismatches (ASan: alloc-dealloc-mismatch). One choice for every file.
  set_target_properties(Asio::Asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES ${Asio_INCLUDE_DIR}
    INTERFACE_COMPILE_DEFINITIONS
      "ASIO_STANDALONE;ASIO_NO_DEPRECATED;ASIO_DISABLE_VISIBILITY;ASIO_DISABLE_STD_ALIGNED_ALLOC")
endif()
mark_as_advanced(Asio_INCLUDE_DIR)
