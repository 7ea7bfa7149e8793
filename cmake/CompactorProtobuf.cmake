# SPDX-License-Identifier: Apache-2.0
# compactor_add_protos(<target> <file.proto>... [SERVICES <file.proto>...]): generates C++ for the
# .proto files (protoc from Debian's protobuf-compiler) into the build tree, adds it to <target>
# and links libprotobuf. The files after SERVICES also get <file>.compactor.h from
# protoc-gen-compactor: for each `service Foo`, a FooClient (each rpc an ask) and a FooService (a
# ProtobufProcess whose rpcs are coroutines). The files sit in or below the calling
# CMakeLists.txt's directory; imports and the generated headers' paths are relative to it
# ("a/b.proto" -> #include "a/b.pb.h", "a/b.compactor.h").
include_guard(GLOBAL)
find_package(Protobuf REQUIRED)

function(compactor_add_protos target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SERVICES")
  set(protos ${arg_UNPARSED_ARGUMENTS} ${arg_SERVICES})
  if(NOT protos)
    message(FATAL_ERROR "compactor_add_protos(${target}): no .proto files given")
  endif()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_protos)
  file(MAKE_DIRECTORY ${out_dir})
  protobuf_generate(TARGET ${target} LANGUAGE cpp PROTOS ${protos}
                    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR} PROTOC_OUT_DIR ${out_dir})
  if(arg_SERVICES)
    if(NOT TARGET compactor::protoc-gen-compactor)
      message(FATAL_ERROR "compactor_add_protos(${target} SERVICES ...): no protoc-gen-compactor "
                          "(configure compactor with COMPACTOR_ENABLE_PROTOBUF)")
    endif()
    protobuf_generate(TARGET ${target} LANGUAGE compactor GENERATE_EXTENSIONS .compactor.h
                      PLUGIN protoc-gen-compactor=$<TARGET_FILE:compactor::protoc-gen-compactor>
                      PROTOS ${arg_SERVICES} IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
                      PROTOC_OUT_DIR ${out_dir})
    get_target_property(plugin compactor::protoc-gen-compactor ALIASED_TARGET)
    if(plugin)  # built here: before the target's sources are generated
      add_dependencies(${target} ${plugin})
    endif()
  endif()
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${out_dir}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
endfunction()
