# Installs the build into a scratch prefix, as an operator would with --prefix, and checks what
# docs/OPERATIONS.md promises is there: the binaries, the example configuration (every setting
# touchlined has, and a file touchlined accepts), the systemd unit naming the installed paths
# (and valid to systemd-analyze), the documentation.
# Run with -DBUILD=<build dir> -DWORK=<scratch dir>.
file(REMOVE_RECURSE "${WORK}")
set(prefix "${WORK}/prefix")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${prefix}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed:\n${out}")
endif()

foreach(f bin/touchlined bin/touchline etc/touchline/touchlined.conf lib/systemd/system/touchlined.service
          share/doc/touchline/OPERATIONS.md share/doc/touchline/API.md)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "cmake --install left no ${f} in the prefix")
  endif()
endforeach()

set(conf "${prefix}/etc/touchline/touchlined.conf")
file(READ "${prefix}/lib/systemd/system/touchlined.service" unit)
if(NOT unit MATCHES "ExecStart=${prefix}/bin/touchlined --config ${conf}\n")
  message(FATAL_ERROR "the unit does not start the installed touchlined with the installed configuration:\n${unit}")
endif()
if(unit MATCHES "@")
  message(FATAL_ERROR "the unit has a placeholder left:\n${unit}")
endif()
find_program(SYSTEMD_ANALYZE systemd-analyze REQUIRED)
execute_process(COMMAND "${SYSTEMD_ANALYZE}" verify "${prefix}/lib/systemd/system/touchlined.service"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "systemd-analyze verify rejects the unit:\n${out}")
endif()

# Every setting touchlined --help lists appears in the example configuration.
execute_process(COMMAND "${prefix}/bin/touchlined" --help RESULT_VARIABLE rc OUTPUT_VARIABLE help ERROR_VARIABLE help)
file(READ "${conf}" example)
string(REGEX MATCHALL "\n  --[a-z-]+  " flags "${help}")
list(LENGTH flags count)
if(count LESS 10)
  message(FATAL_ERROR "touchlined --help lists too few settings to be read:\n${help}")
endif()
foreach(flag IN LISTS flags)
  string(REGEX REPLACE "\n  --([a-z-]+)  " "\\1" key "${flag}")
  string(REPLACE "-" "_" key "${key}")
  if(key STREQUAL "check_config" OR key STREQUAL "operator_token")
    continue()  # not a setting of a file; the token belongs in its own file
  endif()
  if(NOT example MATCHES "\n(# )?${key} = ")
    message(FATAL_ERROR "the example configuration lacks the setting ${key}")
  endif()
endforeach()

# touchlined accepts the file as it is (its token file named in the environment, which wins).
file(WRITE "${WORK}/operator-token" "a-token-for-the-install-test\n")
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "TOUCHLINE_OPERATOR_TOKEN_FILE=${WORK}/operator-token"
                        "${prefix}/bin/touchlined" --config "${conf}" --check-config
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "data = /var/lib/touchline\n" OR NOT out MATCHES "operator_token = \\(set\\)")
  message(FATAL_ERROR "touchlined --check-config on the example configuration:\n${out}")
endif()
file(REMOVE_RECURSE "${WORK}")
