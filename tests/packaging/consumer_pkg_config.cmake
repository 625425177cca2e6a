# packaging.consumer.pkg_config: compile tests/consumer/main.cpp with
# `c++ $(pkg-config --cflags --libs tether)` against the installed prefix,
# then run it.
#   cmake -DPKG_CONFIG=... -DPREFIX=... -DLIBDIR=lib -DINCLUDEDIR=include
#         -DEXPECTED_VERSION=x.y.z -DCONSUMER_DIR=... -DWORK_DIR=...
#         -DCXX_COMPILER=... [-DCXX_FLAGS=...] [-DLINKER_FLAGS=...]
#         -P consumer_pkg_config.cmake
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/consumer_common.cmake")
foreach(var PKG_CONFIG PREFIX LIBDIR INCLUDEDIR EXPECTED_VERSION CONSUMER_DIR WORK_DIR
        CXX_COMPILER)
    if("${${var}}" STREQUAL "")
        message(FATAL_ERROR "consumer_pkg_config.cmake: ${var} is not set")
    endif()
endforeach()

set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
function(pkg_config out)
    execute_process(COMMAND "${PKG_CONFIG}" ${ARGN} tether
        RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors
        OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "pkg-config ${ARGN} tether failed (${result}): ${errors}")
    endif()
    message(STATUS "pkg-config ${ARGN} tether: ${output}")
    set(${out} "${output}" PARENT_SCOPE)
endfunction()

pkg_config(version --modversion)
if(NOT version STREQUAL EXPECTED_VERSION)
    message(FATAL_ERROR "tether.pc says version '${version}', expected '${EXPECTED_VERSION}'")
endif()
pkg_config(cflags --cflags)
pkg_config(libs --libs)
separate_arguments(cflags UNIX_COMMAND "${cflags}")
separate_arguments(libs UNIX_COMMAND "${libs}")

# The flags must point into the prefix the package was installed to (and
# found in), not wherever the build was configured to install.
function(require_path flags flag expected)
    file(REAL_PATH "${expected}" expected)
    set(seen)
    foreach(arg IN LISTS flags)
        if(arg MATCHES "^${flag}(.+)$")
            set(path "${CMAKE_MATCH_1}")
            if(IS_DIRECTORY "${path}")
                file(REAL_PATH "${path}" path)
            endif()
            if(path STREQUAL expected)
                return()
            endif()
            list(APPEND seen "${CMAKE_MATCH_1}")
        endif()
    endforeach()
    message(FATAL_ERROR
        "pkg-config gives ${flag} '${seen}', not the installed ${expected}: tether.pc does "
        "not describe the prefix it was installed to")
endfunction()
require_path("${cflags}" "-I" "${PREFIX}/${INCLUDEDIR}")
require_path("${libs}" "-L" "${PREFIX}/${LIBDIR}")

separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
separate_arguments(linker_flags UNIX_COMMAND "${LINKER_FLAGS}")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
tether_run_step("compile the consumer with pkg-config's flags"
    "${CXX_COMPILER}" ${cxx_flags} ${cflags} "${CONSUMER_DIR}/main.cpp"
    -o "${WORK_DIR}/tether_consumer" ${linker_flags} ${libs})
tether_run_consumer("${WORK_DIR}/tether_consumer")
