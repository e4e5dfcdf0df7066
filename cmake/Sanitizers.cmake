# Sanitizers.cmake: NLOG_SANITIZE=address,undefined or thread, for every target.
if(NLOG_SANITIZE)
  add_compile_options(-fsanitize=${NLOG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${NLOG_SANITIZE})
endif()
# Fuzz builds: every object gets libFuzzer's coverage instrumentation (the
# targets add -fsanitize=fuzzer themselves), or the fuzzers would only see
# the harness's own branches.
if(NLOG_BUILD_FUZZERS)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
