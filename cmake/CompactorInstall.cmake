# SPDX-License-Identifier: Apache-2.0
# Install rules, the find_package(compactor) export, the pkg-config files and the Debian packages
# (cpack -G DEB). Install components: "library" (the shared libraries), "development" (headers,
# CMake and pkg-config files, static libraries) and "tool" (the compactor program).
include(CMakePackageConfigHelpers)
set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/compactor)

# Headers: the parts this build contains (cmake/CompactorParts.cmake), and the generated ones.
set(excluded_headers)
foreach(name IN LISTS COMPACTOR_OPTIONAL_PARTS)
  if(NOT compactor_part_${name}_ENABLED)
    list(APPEND excluded_headers PATTERN ${compactor_part_${name}_HEADER} EXCLUDE)
  endif()
endforeach()
install(DIRECTORY include/compactor DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
        PATTERN "*.in" EXCLUDE ${excluded_headers})
install(FILES ${PROJECT_BINARY_DIR}/include/compactor/version.hpp
              ${PROJECT_BINARY_DIR}/include/compactor/optional_parts.hpp
              ${PROJECT_BINARY_DIR}/include/compactor/export.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/compactor COMPONENT development)

# Libraries, each export set in a file of its own, so that find_package(compactor COMPONENTS
# runtime) needs nothing that a part with a library of its own needs (libprotobuf).
install(TARGETS compactor ${COMPACTOR_PARTS} EXPORT compactorTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT library NAMELINK_COMPONENT development)
install(EXPORT compactorTargets NAMESPACE compactor:: DESTINATION ${config_dir}
        COMPONENT development)
foreach(name IN LISTS COMPACTOR_OPTIONAL_PARTS)
  if(NOT compactor_part_${name}_ENABLED OR NOT compactor_part_${name}_OWN_LIBRARY)
    continue()
  endif()
  install(TARGETS compactor_${name} ${compactor_part_${name}_EXECUTABLES}
    EXPORT compactor_${name}Targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT library NAMELINK_COMPONENT development
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT development)
  install(EXPORT compactor_${name}Targets NAMESPACE compactor:: DESTINATION ${config_dir}
          COMPONENT development)
  if(compactor_part_${name}_CONFIG_MODULE)
    install(FILES cmake/${compactor_part_${name}_CONFIG_MODULE} DESTINATION ${config_dir}
            COMPONENT development)
  endif()
endforeach()
install(TARGETS compactor_all EXPORT compactorUmbrellaTargets)
install(EXPORT compactorUmbrellaTargets NAMESPACE compactor:: DESTINATION ${config_dir}
        COMPONENT development)
install(FILES cmake/FindPicoHttpParser.cmake cmake/FindAsio.cmake cmake/FindMsgpackCxx.cmake
              cmake/FindMosquitto.cmake
        DESTINATION ${config_dir} COMPONENT development)

configure_package_config_file(cmake/compactorConfig.cmake.in
  ${PROJECT_BINARY_DIR}/compactorConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/compactorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/compactorConfig.cmake
              ${PROJECT_BINARY_DIR}/compactorConfigVersion.cmake
        DESTINATION ${config_dir} COMPONENT development)

# pkg-config: compactor (the runtime and the parts inside it), compactor-<part> for each part with
# a library of its own.
set(pc_libs_private "-lz -lfmt -lspdlog -lh2o -lssl -lcrypto")
foreach(name IN LISTS COMPACTOR_OPTIONAL_PARTS)
  if(compactor_part_${name}_ENABLED AND compactor_part_${name}_LIBS_PRIVATE)
    string(APPEND pc_libs_private " ${compactor_part_${name}_LIBS_PRIVATE}")
  endif()
endforeach()
# The prefix relative to the installed .pc file, as CMake's own config files are: an install made
# with `cmake --install --prefix DIR`, or moved, is still found where it is.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" pc_up "${pc_up}")
  set(pc_prefix "\${pcfiledir}/${pc_up}")
endif()
configure_file(cmake/compactor.pc.in ${PROJECT_BINARY_DIR}/compactor.pc @ONLY)
set(pc_files ${PROJECT_BINARY_DIR}/compactor.pc)
foreach(name IN LISTS COMPACTOR_OPTIONAL_PARTS)
  if(compactor_part_${name}_ENABLED AND compactor_part_${name}_OWN_LIBRARY)
    set(pc_part ${name})
    set(pc_summary ${compactor_part_${name}_SUMMARY})
    string(JOIN ", " pc_requires "compactor = ${PROJECT_VERSION}" ${compactor_part_${name}_REQUIRES})
    configure_file(cmake/compactor-part.pc.in ${PROJECT_BINARY_DIR}/compactor-${name}.pc @ONLY)
    list(APPEND pc_files ${PROJECT_BINARY_DIR}/compactor-${name}.pc)
  endif()
endforeach()
install(FILES ${pc_files} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

install(FILES LICENSE README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT development)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs COMPONENT development
        FILES_MATCHING PATTERN "*.md" PATTERN "*.png" PATTERN "*.svg")

# Debian packages: libcompactorX.Y (the shared libraries), libcompactor-dev, compactor (the tool).
set(CPACK_PACKAGE_NAME compactor)
set(CPACK_PACKAGE_VENDOR "The compactor authors")
set(CPACK_PACKAGE_CONTACT "compactor maintainers <compactor@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The tool needs libcompactor, which is in a package of this build, not yet installed: dpkg-shlibdeps
# finds it in the build tree, and the tool's package depends on the library's.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/src)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(soname_version ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME libcompactor${soname_version})
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libcompactor-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SUGGESTS "libprotobuf-dev, protobuf-compiler")
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME compactor)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION net)
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS library)
set(CPACK_COMPONENT_TOOL_DEPENDS library)
set(CPACK_COMPONENTS_ALL library development tool)
include(CPack)
