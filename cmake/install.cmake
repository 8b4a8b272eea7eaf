# `cmake --install <build> [--prefix P]` (default prefix /usr/local): what a
# host running LTM under systemd needs besides the binaries, which each
# service installs itself (services/CMakeLists.txt). Layout:
#   P/bin/ltm-*, P/bin/ltmctl               the binaries
#   P/lib/systemd/system/ltm*.{service,target}
#   P/share/ltm/{mosquitto,scripts,config}  broker config, ACL, setup scripts
#   P/share/ltm/ltm.env.example             the shared settings file
#   P/share/doc/ltm/*.md                    the docs
# docs/deployment.md walks through it; scripts/systemd-setup.sh then makes
# /etc/ltm from P/share/ltm.
include(GNUInstallDirs)

set(LTM_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/ltm)

install(FILES mosquitto/mosquitto.conf mosquitto/acl
        DESTINATION ${LTM_SHARE_DIR}/mosquitto)
install(PROGRAMS scripts/gen-credentials.sh scripts/render-broker-conf.sh
                 scripts/gen-tls.sh scripts/systemd-setup.sh scripts/forget-offline.sh
                 scripts/replay-dlq.sh
        DESTINATION ${LTM_SHARE_DIR}/scripts)
install(FILES config/accounts.example.json config/accounts.live.example.json
        DESTINATION ${LTM_SHARE_DIR}/config)
install(FILES deploy/systemd/ltm.env.example DESTINATION ${LTM_SHARE_DIR})
file(GLOB LTM_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${LTM_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The units name /usr/local paths; rewrite them for the prefix given at
# install time (not at configure time: `--prefix` may differ).
file(GLOB LTM_UNITS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/systemd/ltm*.service
     ${CMAKE_SOURCE_DIR}/deploy/systemd/ltm.target)
foreach(unit ${LTM_UNITS})
  get_filename_component(unit_name ${unit} NAME)
  install(CODE "
    file(READ \"${unit}\" text)
    string(REPLACE \"/usr/local/bin/\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\" text \"\${text}\")
    string(REPLACE \"/usr/local/share/doc/ltm/\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}/\" text \"\${text}\")
    set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
    file(MAKE_DIRECTORY \"\${dest}\")
    message(STATUS \"Installing: \${dest}/${unit_name}\")
    file(WRITE \"\${dest}/${unit_name}\" \"\${text}\")
  ")
endforeach()
