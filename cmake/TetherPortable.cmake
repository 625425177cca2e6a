# tether_portable_executable(<target>)
#
# Makes <target> (an executable linking tether::tether) ship a portable build
# of itself: the same sources linked as a static-pie program (glibc,
# libstdc++, libgcc and zlib static; Boost, fmt and spdlog are header-only)
# that needs nothing on a target but a Linux kernel and /bin/sh. That image
# is embedded in <target> as the section .tether.portable; <target> itself
# stays dynamically linked, so the master can load libssh at run time. The
# bootstrap ships <target> where the target's glibc can run it, and the
# portable image everywhere else (docs/how-it-works.md, "What is shipped").
#
# Call it after <target>'s sources, libraries and options are set: the
# portable image copies them. Under sanitizers it does nothing (their
# runtimes cannot be linked into a static-pie program) and says so.
function(tether_portable_executable target)
    if(CMAKE_CXX_FLAGS MATCHES "-fsanitize" OR TETHER_SANITIZE)
        message(STATUS "tether: ${target} is not portable in a sanitizer build")
        return()
    endif()
    set(image ${target}_portable)
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    set(absolute_sources)
    foreach(source IN LISTS sources)
        if(IS_ABSOLUTE "${source}" OR source MATCHES "^\\$<")
            list(APPEND absolute_sources "${source}")
        else()
            list(APPEND absolute_sources "${source_dir}/${source}")
        endif()
    endforeach()
    add_executable(${image} ${absolute_sources})
    foreach(property COMPILE_DEFINITIONS COMPILE_OPTIONS COMPILE_FEATURES INCLUDE_DIRECTORIES
                     LINK_LIBRARIES LINK_OPTIONS CXX_STANDARD CXX_EXTENSIONS)
        get_target_property(value ${target} ${property})
        if(value)
            set_property(TARGET ${image} PROPERTY ${property} "${value}")
        endif()
    endforeach()
    # TETHER_STATIC_IMAGE switches tether's own link options (CMakeLists.txt)
    # from interposing __cxa_throw to wrapping it.
    set_target_properties(${image} PROPERTIES TETHER_STATIC_IMAGE ON
                                              POSITION_INDEPENDENT_CODE ON)
    # --strip-debug: debug sections never travel.
    target_link_options(${image} PRIVATE -static-pie -Wl,--strip-debug)
    add_dependencies(${target} ${image})
    # A new image relinks the target, which embeds it again.
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS $<TARGET_FILE:${image}>)
    if(NOT CMAKE_OBJCOPY)
        find_program(CMAKE_OBJCOPY objcopy REQUIRED)
    endif()
    add_custom_command(TARGET ${target} POST_BUILD
        COMMAND ${CMAKE_OBJCOPY} --add-section .tether.portable=$<TARGET_FILE:${image}>
                --set-section-flags .tether.portable=readonly $<TARGET_FILE:${target}>
        COMMENT "Embedding the portable image of ${target}"
        VERBATIM)
endfunction()
