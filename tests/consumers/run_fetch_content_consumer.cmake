# Runs the FetchContent consumer (run_consumer.cmake, same arguments plus PACER_SOURCE_DIR).
#
# FetchContent clones the checkout at its current commit, as a consumer clones pacer's
# repository. A clone holds only what is committed, so when the working tree has changes
# (or is not a git checkout, or git cannot read it) FetchContent is pointed at the working
# tree instead, through its documented local override FETCHCONTENT_SOURCE_DIR_PACER: the test
# then checks the code being changed rather than the last commit. CI runs on a clean clone,
# so there it clones.
set(clone_ok FALSE)
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${PACER_SOURCE_DIR}" rev-parse --verify HEAD
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE head_failed
                  ERROR_QUIET)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${PACER_SOURCE_DIR}" status --porcelain
                  OUTPUT_VARIABLE changes RESULT_VARIABLE status_failed ERROR_QUIET)
  if(NOT head_failed AND NOT status_failed AND changes STREQUAL "")
    set(clone_ok TRUE)
  endif()
endif()

set(CONSUMER_DEFINITIONS "PACER_GIT_REPOSITORY=${PACER_SOURCE_DIR}")
if(clone_ok)
  message(STATUS "FetchContent clones ${PACER_SOURCE_DIR} at ${head}")
  list(APPEND CONSUMER_DEFINITIONS "PACER_GIT_TAG=${head}")
else()
  message(STATUS "FetchContent uses the working tree ${PACER_SOURCE_DIR} (uncommitted changes or no git)")
  list(APPEND CONSUMER_DEFINITIONS "PACER_GIT_TAG=HEAD" "FETCHCONTENT_SOURCE_DIR_PACER=${PACER_SOURCE_DIR}")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/run_consumer.cmake)
