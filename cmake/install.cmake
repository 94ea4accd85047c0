# What `cmake --install build --prefix P` (and `make install PREFIX=P`) puts into P
# (docs/architecture.md, "What is public and installed"; README, "Install"):
#   bin/                    ferryd, ferryctl, videofarm, videofarm-server
#   lib/                    libferry.so.0.1.0 (+ .so.0, .so), libferry.a
#   include/ferry/          the public headers (they include only ferry/, std and tl/expected.hpp)
#   lib/pkgconfig/ferry.pc  pkg-config
#   lib/cmake/Ferry/        find_package(Ferry 0.1) -> Ferry::ferry (the shared library)
#   lib/systemd/user/       ferryd.socket, ferryd.service (ExecStart: P's bin/ferryd)
#   share/man/man1, man8    ferryctl.1, videofarm.1; ferryd.8, videofarm-server.8 (gzipped; man.cmake)
# Every file is relocatable or written at install time, so --prefix and DESTDIR are honoured.
include(CMakePackageConfigHelpers)

install(TARGETS ferryd ferryctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(FERRY_BUILD_VIDEOFARM)
  install(TARGETS videofarm-cli videofarm-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(TARGETS ferry_shared EXPORT FerryTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development)
install(TARGETS ferry_archive ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# `cmake --install --strip` (and the .deb, CPACK_STRIP_FILES) strips the programs and libferry.so
# but leaves an archive alone; a RelWithDebInfo libferry.a is ~60 MB of debug information. Its
# debug sections go as dh_strip takes them from a Debian package's archives; the symbols stay.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    set(ferry_archive \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:ferry_archive>\")
    message(STATUS \"Stripping debug sections: \${ferry_archive}\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug --remove-section=.comment --remove-section=.note
                            --enable-deterministic-archives \"\${ferry_archive}\" COMMAND_ERROR_IS_FATAL ANY)
  endif()
")
file(GLOB FERRY_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/client/ferry/*.hpp
                                            ${PROJECT_SOURCE_DIR}/src/client/ferry/*.h)
install(FILES ${FERRY_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ferry)

# CMake package. Only the shared library is a target: its dependencies are link-private, so an
# application's CMake needs nothing but tl-expected (the public headers' Result). Static linking
# goes through pkg-config --static, which names the private dependencies.
set(FERRY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Ferry)
install(EXPORT FerryTargets NAMESPACE Ferry:: DESTINATION ${FERRY_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/FerryConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/FerryConfig.cmake INSTALL_DESTINATION ${FERRY_CMAKE_DIR})
# 0.x: a new minor version may change the API, so 0.1 accepts 0.1.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/FerryConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/FerryConfig.cmake ${PROJECT_BINARY_DIR}/cmake/FerryConfigVersion.cmake
  DESTINATION ${FERRY_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place (${pcfiledir}), so the file is
# right wherever --prefix puts it.
file(RELATIVE_PATH FERRY_PC_PREFIX_FROM_PCFILEDIR ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" FERRY_PC_PREFIX_FROM_PCFILEDIR "${FERRY_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/ferry.pc.in ${PROJECT_BINARY_DIR}/cmake/ferry.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/ferry.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# systemd user units. The service's ExecStart must name the installed ferryd, and the prefix is
# known for certain only at install time (--prefix overrides the configured one), so the unit is
# written then from contrib/systemd/ferryd.service, whose ExecStart is /usr/local/bin/ferryd.
install(FILES ${PROJECT_SOURCE_DIR}/contrib/systemd/ferryd.socket DESTINATION lib/systemd/user)
install(CODE "
  set(ferry_unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/user\")
  file(READ \"${PROJECT_SOURCE_DIR}/contrib/systemd/ferryd.service\" ferry_unit)
  string(REPLACE \"ExecStart=/usr/local/bin/ferryd\"
                 \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/ferryd\" ferry_unit \"\${ferry_unit}\")
  message(STATUS \"Installing: \${ferry_unit_dir}/ferryd.service\")
  file(MAKE_DIRECTORY \"\${ferry_unit_dir}\")
  file(WRITE \"\${ferry_unit_dir}/ferryd.service\" \"\${ferry_unit}\")
")

include(${CMAKE_CURRENT_LIST_DIR}/man.cmake)
