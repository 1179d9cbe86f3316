# Run one libFuzzer binary for a while on a copy of its corpus (ctest
# fuzz.run.<target>; core/fuzz/CMakeLists.txt). Variables: FUZZER, CORPUS,
# REGRESS, WORK, SECONDS, MAX_LEN, DICT (may be empty).
#
# WORK/corpus starts as the seeds plus the crash regressions and collects
# what this run finds; a crash leaves WORK/crash-* (the input) and fails
# the test. Copy such a file into core/fuzz/regress/<target>/ by hand.
foreach(v FUZZER CORPUS WORK SECONDS MAX_LEN)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_fuzzer.cmake: ${v} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
foreach(dir ${CORPUS} ${REGRESS})
  if(IS_DIRECTORY ${dir})
    file(GLOB seeds LIST_DIRECTORIES false ${dir}/*)
    foreach(s IN LISTS seeds)
      get_filename_component(name ${s} NAME)
      if(NOT name MATCHES "^(README|\\.)")
        file(COPY ${s} DESTINATION ${WORK}/corpus)
      endif()
    endforeach()
  endif()
endforeach()

set(args
  -max_total_time=${SECONDS}
  -rss_limit_mb=2048
  -malloc_limit_mb=64
  -timeout=25
  -max_len=${MAX_LEN}
  -print_final_stats=1
  -artifact_prefix=${WORK}/)
if(DICT)
  list(APPEND args -dict=${DICT})
endif()

string(JOIN " " shown ${args})
message(STATUS "fuzzing for ${SECONDS} s: ${FUZZER} ${shown} ${WORK}/corpus")
execute_process(
  COMMAND ${FUZZER} ${args} ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-*
                  ${WORK}/oom-* ${WORK}/slow-unit-*)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); inputs: ${found}")
endif()
