# Tests that need an optional feature are disabled (CTest prints them as
# "Not Run (Disabled)": never counted as passed) when the configuration in
# use turns that feature off. The configuration is read from the
# smtpc_config.h in force (SMTPC_CONFIG_DIR, else the board's); every
# SMTPC_ENABLE_* option defaults to 1 (core/include/smtpc/opts.h).
#
#   smtpc_feature_enabled(<FEATURE> <out-var>)   FEATURE without the prefix
#   smtpc_feature_gate()   applies the table below to the tests of the
#                          calling directory (CMake sets test properties per
#                          directory, so each directory that adds tests calls it)
include_guard(GLOBAL)

function(smtpc_feature_enabled feature out)
  set(_val 1)
  set(_cfg "")
  if(SMTPC_CONFIG_DIR AND EXISTS "${SMTPC_CONFIG_DIR}/smtpc_config.h")
    set(_cfg "${SMTPC_CONFIG_DIR}/smtpc_config.h")
  elseif(EXISTS "${SMTPC_BOARD_DIR}/smtpc_config.h")
    set(_cfg "${SMTPC_BOARD_DIR}/smtpc_config.h")
  endif()
  if(_cfg)
    file(STRINGS "${_cfg}" _lines REGEX "^[ \t]*#[ \t]*define[ \t]+SMTPC_ENABLE_${feature}[ \t]")
    foreach(_l IN LISTS _lines)
      string(REGEX REPLACE ".*SMTPC_ENABLE_${feature}[ \t]+\\(?([0-9]+).*" "\\1" _val "${_l}")
    endforeach()
  endif()
  # SIZES: the buffer and table sizes the unit tests are written for (the
  # defaults and the host board). A configuration that shrinks them below
  # says so with "#define SMTPC_TEST_SMALL_SIZES 1" (tools/matrix.sh does for
  # its "smallest" entry); the size-independent tests and the fuzz corpus
  # replays still run there.
  if(feature STREQUAL "SIZES")
    set(_val 1)
    if(_cfg)
      file(STRINGS "${_cfg}" _small REGEX "^[ \t]*#[ \t]*define[ \t]+SMTPC_TEST_SMALL_SIZES[ \t]+1")
      if(_small)
        set(_val 0)
      endif()
    endif()
  endif()
  # opts.h forces JSON off with TLS-RPT; the top-level build does when cJSON is missing.
  if(feature STREQUAL "TLSRPT_JSON")
    smtpc_feature_enabled(TLSRPT _rpt)
    if(NOT _rpt OR (DEFINED SMTPC_HAVE_TLSRPT_JSON AND NOT SMTPC_HAVE_TLSRPT_JSON))
      set(_val 0)
    endif()
  endif()
  if(_val STREQUAL "0")
    set(${out} OFF PARENT_SCOPE)
  else()
    set(${out} ON PARENT_SCOPE)
  endif()
endfunction()

function(smtpc_feature_gate)
  # test name -> features it needs (all of them). Tests not listed need none.
  set(SMTPC_TEST_FEATURES
    "unit_test_smtp:AUTH_PLAIN,AUTH_LOGIN,AUTH_XOAUTH2,PIPELINING,SIZES"
    "unit_test_client:AUTH_PLAIN,AUTH_LOGIN,AUTH_XOAUTH2,PIPELINING,SIZES"
    "unit_test_client_mx:MX,SIZES"
    "unit_test_sts:MX,SIZES"
    "unit_test_dns:SIZES"
    "unit_test_dnswire:SIZES"
    "unit_test_stsparse:SIZES"
    "unit_test_reply:SIZES"
    "unit_test_kvs:SIZES"
    "powercut_test_kvs:SIZES"
    "unit_test_cache:SIZES"
    "powercut_test_cache:SIZES"
    "unit_test_tlsrpt:TLSRPT,SIZES"
    "powercut_test_tlsrpt:TLSRPT,SIZES"
    "unit_test_tlsrpt_json:TLSRPT_JSON,SIZES"
    "unit_test_upload:TLSRPT,SIZES"
    "unit_test_dkim:SIZES"
    "cli_tlsrpt:TLSRPT"
    "fuzz_replay_tlsrpt_txt:TLSRPT"
    "fuzz_replay_tlsrpt_log:TLSRPT"
    "fuzz_replay_tlsrpt_render:TLSRPT_JSON")
  foreach(_entry IN LISTS SMTPC_TEST_FEATURES)
    string(REPLACE ":" ";" _parts "${_entry}")
    list(GET _parts 0 _test)
    list(GET _parts 1 _feats)
    if(NOT TEST ${_test})
      continue()
    endif()
    string(REPLACE "," ";" _feats "${_feats}")
    set(_missing "")
    foreach(_f IN LISTS _feats)
      smtpc_feature_enabled(${_f} _on)
      if(NOT _on AND _f STREQUAL "SIZES")
        list(APPEND _missing "the default sizes")
      elseif(NOT _on)
        list(APPEND _missing SMTPC_ENABLE_${_f})
      endif()
    endforeach()
    if(_missing)
      set_tests_properties(${_test} PROPERTIES DISABLED TRUE)
      message(STATUS "test ${_test} disabled: needs ${_missing}")
    endif()
  endforeach()
endfunction()
