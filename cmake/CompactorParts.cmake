# SPDX-License-Identifier: Apache-2.0
# The optional parts of compactor, named once. This list drives each part's option
# (COMPACTOR_ENABLE_<PART>), its macro (COMPACTOR_WITH_<PART> in compactor/version.hpp), the
# umbrella header (compactor/compactor.hpp), the headers installed, find_package's components and
# pkg-config. A new part is one compactor_part() line here and its sources in src/CMakeLists.txt.
#
# compactor_part(<name> SUMMARY <text> HEADER <its public header>
#   [OWN_LIBRARY]           a library of its own on the public API (libcompactor_<name>);
#                           otherwise inside libcompactor, with an INTERFACE target compactor::<name>
#   [UMBRELLA]              compactor/compactor.hpp includes its header
#   [DEPENDENCY <package>]  found by find_package(compactor): always for a library of its own (its
#                           headers include the package's), for a static libcompactor otherwise
#   [REQUIRES <pkg-config modules>] [LIBS_PRIVATE <linker flags>] for pkg-config
#   [CONFIG_MODULE <file>]  a CMake module in cmake/ installed and loaded with the part
#   [EXECUTABLES <targets>] programs installed and exported with the part (compactor::<target>))
set(COMPACTOR_OPTIONAL_PARTS)
macro(compactor_part name)
  cmake_parse_arguments(part "OWN_LIBRARY;UMBRELLA"
                        "SUMMARY;HEADER;DEPENDENCY;REQUIRES;LIBS_PRIVATE;CONFIG_MODULE"
                        "EXECUTABLES" ${ARGN})
  string(TOUPPER ${name} part_upper)
  option(COMPACTOR_ENABLE_${part_upper} "Build ${part_SUMMARY}" ON)
  list(APPEND COMPACTOR_OPTIONAL_PARTS ${name})
  foreach(field SUMMARY HEADER OWN_LIBRARY UMBRELLA DEPENDENCY REQUIRES LIBS_PRIVATE CONFIG_MODULE
                EXECUTABLES)
    set(compactor_part_${name}_${field} "${part_${field}}")
  endforeach()
  set(compactor_part_${name}_ENABLED ${COMPACTOR_ENABLE_${part_upper}})
endmacro()

compactor_part(protobuf SUMMARY "compactor::protobuf (ProtobufProcess; needs libprotobuf)"
  HEADER protobuf.hpp OWN_LIBRARY DEPENDENCY Protobuf REQUIRES protobuf
  CONFIG_MODULE CompactorProtobuf.cmake EXECUTABLES protoc-gen-compactor)
compactor_part(mqtt SUMMARY "the MQTT group channel (needs libmosquitto)"
  HEADER beacon/mqtt_channel.hpp UMBRELLA DEPENDENCY Mosquitto LIBS_PRIVATE -lmosquitto)
compactor_part(serf SUMMARY "the Serf group channel" HEADER beacon/serf_channel.hpp UMBRELLA)
compactor_part(testing SUMMARY "compactor::testing (MessageWatch, compactor/testing.hpp)"
  HEADER testing.hpp OWN_LIBRARY)

# What the generated files say of the parts: the macros of compactor/version.hpp, the includes
# of compactor/optional_parts.hpp, the components of compactorConfig.cmake.
set(COMPACTOR_PART_MACROS "")
set(COMPACTOR_UMBRELLA_INCLUDES "")
set(COMPACTOR_CONFIG_PARTS "")
set(COMPACTOR_CONFIG_PRIVATE_DEPENDENCIES "")
foreach(name IN LISTS COMPACTOR_OPTIONAL_PARTS)
  string(TOUPPER ${name} upper)
  set(enabled 0)
  if(compactor_part_${name}_ENABLED)
    set(enabled 1)
  endif()
  string(APPEND COMPACTOR_PART_MACROS "#define COMPACTOR_WITH_${upper} ${enabled}\n")
  if(enabled AND compactor_part_${name}_UMBRELLA)
    string(APPEND COMPACTOR_UMBRELLA_INCLUDES "#include <compactor/${compactor_part_${name}_HEADER}>\n")
  endif()
  set(dependency ${compactor_part_${name}_DEPENDENCY})
  if(NOT compactor_part_${name}_OWN_LIBRARY)
    string(APPEND COMPACTOR_CONFIG_PARTS "set(compactor_${name}_FOUND ${enabled})\n")
    if(enabled AND dependency)
      string(APPEND COMPACTOR_CONFIG_PRIVATE_DEPENDENCIES "  find_dependency(${dependency})\n")
    endif()
    continue()
  endif()
  string(APPEND COMPACTOR_CONFIG_PARTS "set(compactor_${name}_FOUND FALSE)\n")
  if(NOT enabled)
    continue()
  endif()
  string(APPEND COMPACTOR_CONFIG_PARTS
    "if(NOT compactor_FIND_COMPONENTS OR \"${name}\" IN_LIST compactor_FIND_COMPONENTS)\n")
  if(dependency)
    string(APPEND COMPACTOR_CONFIG_PARTS "  find_dependency(${dependency})\n")
  endif()
  if(compactor_part_${name}_CONFIG_MODULE)
    string(APPEND COMPACTOR_CONFIG_PARTS
      "  include(\${CMAKE_CURRENT_LIST_DIR}/${compactor_part_${name}_CONFIG_MODULE})\n")
  endif()
  string(APPEND COMPACTOR_CONFIG_PARTS
    "  include(\${CMAKE_CURRENT_LIST_DIR}/compactor_${name}Targets.cmake)\n"
    "  set(compactor_${name}_FOUND TRUE)\n"
    "else()\n  set(compactor_all_parts_loaded FALSE)\nendif()\n")
endforeach()
