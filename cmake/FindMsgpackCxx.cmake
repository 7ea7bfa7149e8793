# SPDX-License-Identifier: Apache-2.0
# Finds the header-only msgpack-cxx (Debian: libmsgpack-cxx-dev), used without Boost.
# Provides the imported target MsgpackCxx::MsgpackCxx.
find_path(MsgpackCxx_INCLUDE_DIR msgpack.hpp)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MsgpackCxx REQUIRED_VARS MsgpackCxx_INCLUDE_DIR)
if(MsgpackCxx_FOUND AND NOT TARGET MsgpackCxx::MsgpackCxx)
  add_library(MsgpackCxx::MsgpackCxx INTERFACE IMPORTED)
  set_target_properties(MsgpackCxx::MsgpackCxx PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES ${MsgpackCxx_INCLUDE_DIR}
    INTERFACE_COMPILE_DEFINITIONS "MSGPACK_NO_BOOST;MSGPACK_DEFAULT_API_VERSION=3")
endif()
mark_as_advanced(MsgpackCxx_INCLUDE_DIR)
