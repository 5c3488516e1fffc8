# Configures, builds and runs one consumer project, failing at the first step that fails.
#   cmake -D CONSUMER_SOURCE_DIR=<project> -D CONSUMER_BINARY_DIR=<dir> -D CONSUMER_GENERATOR=<generator>
#         -D CONSUMER_INITIAL_CACHE=<file> [-D CONSUMER_DEFINITIONS=<NAME=value;...>]
#         [-D CONSUMER_PREFIX_PATH=<prefix>] [-D CONSUMER_EXECUTABLE=<name>] -P run_consumer.cmake
# CONSUMER_PREFIX_PATH goes first in the environment's CMAKE_PREFIX_PATH, and pacer must then be
# found there, not in some other installation. The executable defaults to refused_requests.

# A fresh binary directory: nothing cached by an earlier run may hide a broken package.
file(REMOVE_RECURSE "${CONSUMER_BINARY_DIR}")

if(NOT CONSUMER_EXECUTABLE)
  set(CONSUMER_EXECUTABLE refused_requests)
endif()

set(definitions "")
foreach(definition IN LISTS CONSUMER_DEFINITIONS)
  list(APPEND definitions "-D${definition}")
endforeach()
if(CONSUMER_PREFIX_PATH AND DEFINED ENV{CMAKE_PREFIX_PATH})
  set(ENV{CMAKE_PREFIX_PATH} "${CONSUMER_PREFIX_PATH}:$ENV{CMAKE_PREFIX_PATH}")
elseif(CONSUMER_PREFIX_PATH)
  set(ENV{CMAKE_PREFIX_PATH} "${CONSUMER_PREFIX_PATH}")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${CONSUMER_BINARY_DIR}"
                        -G "${CONSUMER_GENERATOR}" -C "${CONSUMER_INITIAL_CACHE}" ${definitions}
                COMMAND_ERROR_IS_FATAL ANY)

if(CONSUMER_PREFIX_PATH)
  load_cache("${CONSUMER_BINARY_DIR}" READ_WITH_PREFIX consumer_ pacer_DIR)
  cmake_path(IS_PREFIX CONSUMER_PREFIX_PATH "${consumer_pacer_DIR}" NORMALIZE found_in_prefix)
  if(NOT found_in_prefix)
    message(FATAL_ERROR "pacer was found in ${consumer_pacer_DIR}, not under ${CONSUMER_PREFIX_PATH}")
  endif()
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" --build "${CONSUMER_BINARY_DIR}" COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${CONSUMER_BINARY_DIR}/${CONSUMER_EXECUTABLE}" COMMAND_ERROR_IS_FATAL ANY)
