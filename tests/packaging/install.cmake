# packaging.install: `cmake --install` the build into a fresh prefix and check
# that everything a consumer needs is there.
#   cmake -DBUILD_DIR=... -DPREFIX=... -DCONFIG=... -DSOURCE_INCLUDE_DIR=...
#         -DLIBDIR=lib -DINCLUDEDIR=include -DLIBRARY_NAME=libtether.a -P install.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR PREFIX SOURCE_INCLUDE_DIR LIBDIR INCLUDEDIR LIBRARY_NAME)
    if("${${var}}" STREQUAL "")
        message(FATAL_ERROR "install.cmake: ${var} is not set")
    endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
set(config_args)
if(CONFIG)
    set(config_args --config "${CONFIG}")
endif()
execute_process(
    COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
message("${output}")
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${result})")
endif()

set(missing)
foreach(file
        "${LIBDIR}/${LIBRARY_NAME}"
        "${LIBDIR}/cmake/tether/tetherConfig.cmake"
        "${LIBDIR}/cmake/tether/tetherConfigVersion.cmake"
        "${LIBDIR}/cmake/tether/tetherTargets.cmake"
        "${LIBDIR}/pkgconfig/tether.pc")
    if(NOT EXISTS "${PREFIX}/${file}")
        list(APPEND missing "${file}")
    endif()
endforeach()
# Every header of the source tree, detail/ included, must be installed.
file(GLOB_RECURSE headers RELATIVE "${SOURCE_INCLUDE_DIR}" "${SOURCE_INCLUDE_DIR}/tether/*.hpp")
if(NOT headers)
    message(FATAL_ERROR "no headers found under ${SOURCE_INCLUDE_DIR}/tether")
endif()
foreach(header IN LISTS headers)
    if(NOT EXISTS "${PREFIX}/${INCLUDEDIR}/${header}")
        list(APPEND missing "${INCLUDEDIR}/${header}")
    endif()
endforeach()
if(missing)
    list(JOIN missing "\n  " missing)
    message(FATAL_ERROR "missing from the install prefix ${PREFIX}:\n  ${missing}")
endif()
list(LENGTH headers count)
message(STATUS "installed into ${PREFIX}: library, CMake package, tether.pc, ${count} headers")
