# Man pages: ferryd(8), ferryctl(1), videofarm(1), videofarm-server(8), written in man(7) macros in
# man/ (no build tool needed to make them). They are compressed at build time with gzip -9n, as
# Debian policy wants them installed (-n: no name or time stamp inside, so the bytes are the same
# at every build), and installed into share/man/man1 and man8. The Man.Pages test checks them.
set(FERRY_MAN_PAGES ferryd.8 ferryctl.1)
if(FERRY_BUILD_VIDEOFARM)
  list(APPEND FERRY_MAN_PAGES videofarm.1 videofarm-server.8)
endif()
set(FERRY_MAN_OUTPUTS)
foreach(page ${FERRY_MAN_PAGES})
  set(gz ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "gzip -9n -c \"$1\" > \"$2\"" sh ${PROJECT_SOURCE_DIR}/man/${page} ${gz}
    DEPENDS ${PROJECT_SOURCE_DIR}/man/${page}
    COMMENT "gzip man/${page}" VERBATIM)
  list(APPEND FERRY_MAN_OUTPUTS ${gz})
  string(REGEX MATCH "[0-9]$" section ${page})
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(ferry_man_pages ALL DEPENDS ${FERRY_MAN_OUTPUTS})
