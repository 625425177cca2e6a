# packaging.consumer.find_package / packaging.consumer.add_subdirectory:
# configure tests/consumer/ with CMake, build it, run it.
#   cmake -DMODE=find_package|add_subdirectory -DCONSUMER_DIR=... -DWORK_DIR=...
#         -DGENERATOR=... [-DMAKE_PROGRAM=...] -DCXX_COMPILER=... [-DCXX_FLAGS=...]
#         [-DLINKER_FLAGS=...] [-DCONFIG=...]
#         find_package:     -DPREFIX=<install prefix> -DEXPECTED_VERSION=x.y.z
#         add_subdirectory: -DTETHER_SOURCE_DIR=<repository root> [-DTETHER_SANITIZE=...]
#         -P consumer_cmake.cmake
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/consumer_common.cmake")
foreach(var MODE CONSUMER_DIR WORK_DIR GENERATOR CXX_COMPILER)
    if("${${var}}" STREQUAL "")
        message(FATAL_ERROR "consumer_cmake.cmake: ${var} is not set")
    endif()
endforeach()
if(NOT CONFIG)
    set(CONFIG Release)
endif()

set(configure_args
    -S "${CONSUMER_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
    "-DCMAKE_BUILD_TYPE=${CONFIG}"
    "-DTETHER_CONSUMER_MODE=${MODE}")
if(MAKE_PROGRAM)
    list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()

if(MODE STREQUAL "find_package")
    foreach(var PREFIX EXPECTED_VERSION)
        if("${${var}}" STREQUAL "")
            message(FATAL_ERROR "consumer_cmake.cmake: ${var} is not set")
        endif()
    endforeach()
    # A fresh build directory: the package must be found from PREFIX alone.
    file(REMOVE_RECURSE "${WORK_DIR}")
    list(APPEND configure_args
        "-DCMAKE_PREFIX_PATH=${PREFIX}"
        "-DTETHER_EXPECTED_VERSION=${EXPECTED_VERSION}"
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
        -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
elseif(MODE STREQUAL "add_subdirectory")
    if(NOT IS_DIRECTORY "${TETHER_SOURCE_DIR}")
        message(FATAL_ERROR "consumer_cmake.cmake: TETHER_SOURCE_DIR is not a directory")
    endif()
    # The build directory is kept between runs: the library is rebuilt only
    # when it changed.
    list(APPEND configure_args
        "-DTETHER_SOURCE_DIR=${TETHER_SOURCE_DIR}"
        "-DTETHER_SANITIZE=${TETHER_SANITIZE}")
else()
    message(FATAL_ERROR "consumer_cmake.cmake: unknown MODE '${MODE}'")
endif()

tether_run_step("configure the consumer (${MODE})" "${CMAKE_COMMAND}" ${configure_args})

if(MODE STREQUAL "find_package")
    # The package must have come from the install prefix, not from the source
    # or build tree or the system.
    file(STRINGS "${WORK_DIR}/CMakeCache.txt" tether_dir_line REGEX "^tether_DIR:")
    string(REGEX REPLACE "^tether_DIR:[A-Z]+=" "" tether_dir "${tether_dir_line}")
    file(REAL_PATH "${PREFIX}" real_prefix)
    file(REAL_PATH "${tether_dir}" real_tether_dir)
    string(FIND "${real_tether_dir}/" "${real_prefix}/" at)
    if(NOT at EQUAL 0)
        message(FATAL_ERROR "tether was found in '${tether_dir}', not under ${PREFIX}")
    endif()
endif()

tether_run_step("build the consumer (${MODE})"
    "${CMAKE_COMMAND}" --build "${WORK_DIR}" --config "${CONFIG}" --parallel 2)

tether_find_consumer("${WORK_DIR}" "${CONFIG}" consumer)
tether_run_consumer("${consumer}")
