# packaging.compile_fail.*: compile one source with the compile command of a
# target that uses tether::tether (written out at generate time, see
# CMakeLists.txt) and check the outcome.
#   cmake -DCOMMAND_FILE=compile_command_<config>.cmake -DSOURCE=... -DWORK_DIR=...
#         [-DDEFINE=MACRO] -DEXPECT=FAIL|PASS [-DEXPECT_TEXT=...] -P compile_fail.cmake
# FAIL passes only if the compiler fails and its output contains EXPECT_TEXT;
# PASS passes only if the compiler succeeds.
cmake_minimum_required(VERSION 3.25)
foreach(var COMMAND_FILE SOURCE WORK_DIR EXPECT)
    if("${${var}}" STREQUAL "")
        message(FATAL_ERROR "compile_fail.cmake: ${var} is not set")
    endif()
endforeach()
if(EXPECT STREQUAL "FAIL" AND "${EXPECT_TEXT}" STREQUAL "")
    message(FATAL_ERROR "compile_fail.cmake: EXPECT=FAIL needs EXPECT_TEXT")
endif()
include("${COMMAND_FILE}")

separate_arguments(flags UNIX_COMMAND "${TETHER_CXX_FLAGS}")
list(APPEND flags ${TETHER_CXX_STANDARD_FLAG} ${TETHER_COMPILE_OPTIONS})
foreach(dir IN LISTS TETHER_INCLUDE_DIRS)
    # Like CMake, leave the compiler's own directories to the compiler.
    if(NOT dir STREQUAL "" AND NOT dir IN_LIST TETHER_IMPLICIT_INCLUDE_DIRS)
        list(APPEND flags "-I${dir}")
    endif()
endforeach()
foreach(definition IN LISTS TETHER_COMPILE_DEFINITIONS)
    if(NOT definition STREQUAL "")
        list(APPEND flags "-D${definition}")
    endif()
endforeach()
if(DEFINE)
    list(APPEND flags "-D${DEFINE}")
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(command "${TETHER_CXX_COMPILER}" ${flags} -c "${SOURCE}" -o "${WORK_DIR}/probe.o")
list(JOIN command " " shown)
message(STATUS "${shown}")
execute_process(COMMAND ${command}
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)

if(EXPECT STREQUAL "PASS")
    if(NOT result EQUAL 0)
        message("${output}")
        message(FATAL_ERROR "the compiler failed (${result}); this source must compile")
    endif()
    message(STATUS "compiled, as expected")
elseif(EXPECT STREQUAL "FAIL")
    if(result EQUAL 0)
        message("${output}")
        message(FATAL_ERROR "the compiler accepted a call that must be refused")
    endif()
    string(FIND "${output}" "${EXPECT_TEXT}" at)
    if(at EQUAL -1)
        message("${output}")
        message(FATAL_ERROR "the compiler failed, but its output lacks '${EXPECT_TEXT}'")
    endif()
    message(STATUS "refused with '${EXPECT_TEXT}', as expected")
else()
    message(FATAL_ERROR "compile_fail.cmake: EXPECT must be FAIL or PASS, not '${EXPECT}'")
endif()
