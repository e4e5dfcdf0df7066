# Warnings.cmake: the warning set every target of ours compiles with.
function(nlog_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes -Wvla
    -Wmissing-prototypes -Wundef -Wcast-align -Wpointer-arith -Wnull-dereference)
  if(NLOG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
