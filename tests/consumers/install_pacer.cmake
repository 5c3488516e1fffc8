# Installs the configured pacer build into an empty prefix.
#   cmake -D PACER_BINARY_DIR=<build> -D PACER_INSTALL_PREFIX=<prefix> -P install_pacer.cmake
# Emptied first so that files a previous install left behind cannot stand in for missing ones.
file(REMOVE_RECURSE "${PACER_INSTALL_PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${PACER_BINARY_DIR}" --prefix "${PACER_INSTALL_PREFIX}"
                COMMAND_ERROR_IS_FATAL ANY)
