# `make deb` (cpack -G DEB in the build tree): ferry_VERSION_amd64.deb, everything that
# cmake/install.cmake installs, under /usr (README, "Install"; docs/architecture.md, "The Debian
# package"). The Package.DebianPackage test builds it and runs lintian on it.
#
# One package, not ferry + libferry0 + libferry-dev: ferryd is what a libferry application talks
# to, so nobody wants the library without it, and 0.x has no ABI promise that a separately
# upgradable libferry0 package would have to keep. lintian's warnings about a library in a package
# not named after its SONAME (package-name-doesnt-match-sonames) and the libferry.so link beside it
# (link-to-shared-library-in-wrong-package) come from that choice; docs/architecture.md lists every
# warning lintian leaves and why.

# Debian's package metadata: copyright and changelog in /usr/share/doc/ferry (the changelog
# gzip -9n'd, as policy wants; the version has no Debian revision, so it is a native package's
# changelog.gz). A plain `cmake --install` puts them there too, which is where they belong.
set(FERRY_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/ferry)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/debian/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/debian
  COMMAND sh -c "gzip -9n -c \"$1\" > \"$2\"" sh ${PROJECT_SOURCE_DIR}/contrib/debian/changelog
          ${PROJECT_BINARY_DIR}/debian/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/contrib/debian/changelog VERBATIM)
add_custom_target(ferry_debian_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/debian/changelog.gz)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/debian/copyright ${PROJECT_BINARY_DIR}/debian/changelog.gz
  DESTINATION ${FERRY_DOC_DIR})

# The ldconfig trigger a package with a shared library in the loader's path must activate (lintian:
# lacks-ldconfig-trigger is an error). CPack's own postinst and postrm also run ldconfig (lintian:
# maintscript-calls-ldconfig, a warning); that twice is harmless, and CPack has no switch for it.
file(WRITE ${PROJECT_BINARY_DIR}/debian/triggers "activate-noawait ldconfig\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "background HTTP(S) transfers for Linux applications")
set(FERRY_DEB_MAINTAINER "Ferry maintainers <maintainers@users.noreply.r-seed-729c80b4.example>"
    CACHE STRING "The .deb's Maintainer field")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FERRY_DEB_MAINTAINER}")
# The extended description (CPack puts the summary above it and indents each line by one space).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "ferryd is a per-user daemon that carries out
the HTTP(S) downloads and uploads applications hand to it, so that they
continue after the application exits, across network faults and crashes; the
application receives their events when it next attaches. libferry is the C++20
client library (shared and static, with headers, pkg-config and CMake files),
ferryctl its command line. videofarm and videofarm-server are the VideoFarm
demonstration client and server.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from dpkg-shlibdeps (libcurl4, libc6, ...), the library's shlibs file for packages built
# against it, and control files of mode 0644/0755 as dpkg-deb wants them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The Python binding (usr/lib/python3/dist-packages/ferry) is pure Python over libferry.so: useful
# with python3, and nothing else in the package needs it, so it is suggested, not a dependency.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS python3)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/triggers)
# ferry_0.1.0_amd64.deb (NAME_VERSION_ARCH, as dpkg names it) rather than CPack's
# ferry-0.1.0-Linux.deb, in the build directory.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Installed as `DESTDIR=<staging> cmake --install --prefix /usr`: CMAKE_INSTALL_PREFIX is /usr while
# cpack installs, so the unit's ExecStart, written at install time, is /usr/bin/ferryd rather than
# a staging path. (With CPACK_SET_DESTDIR the prefix is CPACK_INSTALL_PREFIX, not
# CPACK_PACKAGING_INSTALL_PREFIX.)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
# The build is RelWithDebInfo; a package ships no debug information (lintian:
# unstripped-binary-or-object), so the programs and libraries are stripped as they are installed.
set(CPACK_STRIP_FILES ON)
# Directories 0755 whatever the umask of whoever runs cpack (lintian: non-standard-dir-perm).
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)
