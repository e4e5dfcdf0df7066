# Sanitizers.cmake: NLOG_SANITIZE=address,undefined or thread, for every target.
if(NLOG_SANITIZE)
  add_compile_options(-fsanitize=${NLOG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${NLOG_SANITIZE})
endif()
