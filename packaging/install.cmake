# What `cmake --install` puts where (see the top-level CMakeLists.txt). The unit is written at
# install time, so that it names the paths of the prefix actually installed to (--prefix).
include(GNUInstallDirs)

install(TARGETS touchlined touchline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/touchlined.conf DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/touchline)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/API.md ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
              ${PROJECT_SOURCE_DIR}/docs/LOG_FORMAT.md ${PROJECT_SOURCE_DIR}/docs/EVENTS.md
              ${PROJECT_SOURCE_DIR}/docs/roles.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(CODE "
  set(TOUCHLINE_BIN_DIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(TOUCHLINE_CONFIG_FILE \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}/touchline/touchlined.conf\")
  set(TOUCHLINE_DOC_DIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/touchlined.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/touchlined.service.in\" \"\${unit}\" @ONLY)
")
