# Helpers shared by the consumer scripts (included, not run).

# tether_run_step(<description> <command> [args...]): runs the command, shows
# its output, and fails the test if it fails.
function(tether_run_step description)
    list(JOIN ARGN " " shown)
    message(STATUS "${description}: ${shown}")
    execute_process(COMMAND ${ARGN}
        RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
    message("${output}")
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "${description} failed (${result})")
    endif()
endfunction()

# tether_find_consumer(<build dir> <config> <out var>): the built consumer
# program, for single- and multi-config generators.
function(tether_find_consumer dir config out)
    foreach(candidate "${dir}/tether_consumer" "${dir}/${config}/tether_consumer")
        if(EXISTS "${candidate}")
            set(${out} "${candidate}" PARENT_SCOPE)
            return()
        endif()
    endforeach()
    message(FATAL_ERROR "no tether_consumer program in ${dir}")
endfunction()

# tether_run_consumer(<program>): runs it (it starts a local child context and
# calls add(2, 3) there); it must exit 0 and print the result exactly once.
function(tether_run_consumer program)
    set(expected "tether consumer: add(2, 3) = 5")
    message(STATUS "run ${program}")
    execute_process(COMMAND "${program}" TIMEOUT 60
        RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
    message("stdout:\n${output}\nstderr:\n${errors}")
    if(NOT result STREQUAL "0")
        message(FATAL_ERROR "the consumer exited with '${result}', expected 0")
    endif()
    string(REGEX MATCHALL "[^\n]+" lines "${output}")
    list(FILTER lines INCLUDE REGEX "^tether consumer: ")
    if(NOT lines STREQUAL expected)
        message(FATAL_ERROR "the consumer printed '${lines}', expected '${expected}' once")
    endif()
    message(STATUS "the consumer printed '${expected}' and exited 0")
endfunction()
