# Install.cmake: headers, libraries, nlog.pc and the CMake package nlog::nlog.
include(CMakePackageConfigHelpers)

install(TARGETS nlog nlog_static EXPORT nlogTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/nlog DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/nlog/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nlog)

set(NLOG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nlog)
install(EXPORT nlogTargets NAMESPACE nlog:: DESTINATION ${NLOG_CMAKE_DIR})
configure_package_config_file(cmake/nlogConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/nlogConfig.cmake INSTALL_DESTINATION ${NLOG_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/nlogConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nlogConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/nlogConfigVersion.cmake DESTINATION ${NLOG_CMAKE_DIR})

# The .pc file locates its prefix relative to itself, so an install moved or
# made with `cmake --install --prefix` still works.
file(RELATIVE_PATH NLOG_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(cmake/nlog.pc.in ${CMAKE_CURRENT_BINARY_DIR}/nlog.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nlog.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
