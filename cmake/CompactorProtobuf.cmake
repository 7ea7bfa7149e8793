# SPDX-License-Identifier: Apache-2.0
# compactor_add_protos(<target> <file.proto>...): generates C++ for the .proto files (protoc from
# Debian's protobuf-compiler) into the build tree, adds it to <target> and links libprotobuf.
# The files sit in or below the calling CMakeLists.txt's directory; imports and the generated
# headers' paths are relative to it ("a/b.proto" -> #include "a/b.pb.h").
include_guard(GLOBAL)
find_package(Protobuf REQUIRED)

function(compactor_add_protos target)
  if(NOT ARGN)
    message(FATAL_ERROR "compactor_add_protos(${target}): no .proto files given")
  endif()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_protos)
  file(MAKE_DIRECTORY ${out_dir})
  protobuf_generate(TARGET ${target} LANGUAGE cpp PROTOS ${ARGN}
                    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR} PROTOC_OUT_DIR ${out_dir})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${out_dir}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
endfunction()
