# SPDX-License-Identifier: Apache-2.0
# Finds picohttpparser, h2o's HTTP/1.x parser. Debian builds it into libh2o (libh2o-dev) and
# exports its C API (phr_*) without shipping its header; compactor declares what it calls
# (src/wire/picohttpparser.hpp), so this checks the library exports it.
# Provides the imported target PicoHttpParser::PicoHttpParser.
find_library(PicoHttpParser_LIBRARY NAMES h2o)
if(PicoHttpParser_LIBRARY AND NOT DEFINED CACHE{PicoHttpParser_EXPORTS_PHR})
  include(CheckLibraryExists)
  get_filename_component(_picohttpparser_dir ${PicoHttpParser_LIBRARY} DIRECTORY)
  set(CMAKE_REQUIRED_QUIET ${PicoHttpParser_FIND_QUIETLY})
  check_library_exists(h2o phr_decode_chunked ${_picohttpparser_dir} PicoHttpParser_EXPORTS_PHR)
  unset(_picohttpparser_dir)
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PicoHttpParser
  REQUIRED_VARS PicoHttpParser_LIBRARY PicoHttpParser_EXPORTS_PHR)
if(PicoHttpParser_FOUND AND NOT TARGET PicoHttpParser::PicoHttpParser)
  add_library(PicoHttpParser::PicoHttpParser UNKNOWN IMPORTED)
  set_target_properties(PicoHttpParser::PicoHttpParser PROPERTIES
    IMPORTED_LOCATION ${PicoHttpParser_LIBRARY})
endif()
mark_as_advanced(PicoHttpParser_LIBRARY)
