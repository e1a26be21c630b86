# The include boundary (STYLE.md "The house", docs/ARCHITECTURE.md):
# cli/, phone/ and server/ use libprov's public API (include/prov/), common/
# and each other's entry points, never lib/'s internal headers; common/
# includes nothing of lib/ either. Run by CTest as `layers`:
#   cmake -DSRC=<source tree> [-DCOMMANDS=<compile_commands.json>] -P layers.cmake
# Fails, naming file and header, when
#   - a product file outside lib/ includes a header that only lib/ has, or
#     names a path into lib/ ("../lib/x.h", "lib/x.h");
#   - a translation unit outside lib/ is compiled with lib/ on its include
#     path (-I, -iquote, -isystem), which is how such an include would
#     otherwise slip in (COMMANDS given; tests/ and fuzz/ may).
cmake_minimum_required(VERSION 3.25)
if(NOT SRC)
  message(FATAL_ERROR "layers.cmake: -DSRC=<source tree> is required")
endif()

file(GLOB lib_headers RELATIVE ${SRC}/lib ${SRC}/lib/*.h)
# Where a product directory may take its quoted headers from.
set(from_cli cli common server phone)
set(from_phone phone common)
set(from_server server common)
set(from_common common)

set(bad "")
foreach(dir cli phone server common)
  set(allowed "")
  foreach(d ${from_${dir}})
    file(GLOB hs RELATIVE ${SRC}/${d} ${SRC}/${d}/*.h)
    list(APPEND allowed ${hs})
  endforeach()
  file(GLOB files ${SRC}/${dir}/*.c ${SRC}/${dir}/*.h)
  foreach(f ${files})
    file(STRINGS ${f} incs REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line ${incs})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" h "${line}")
      file(RELATIVE_PATH rel ${SRC} ${f})
      if(h MATCHES "(^|/)lib/" OR h MATCHES "(^|/)\\.\\./")
        list(APPEND bad "${rel}: includes \"${h}\" (a path into another directory)")
      elseif(h IN_LIST lib_headers AND NOT h IN_LIST allowed)
        list(APPEND bad "${rel}: includes \"${h}\", a lib/ internal header")
      endif()
    endforeach()
  endforeach()
endforeach()

if(COMMANDS)
  file(READ ${COMMANDS} json)
  string(JSON n LENGTH "${json}")
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON file GET "${json}" ${i} file)
    string(JSON cmd ERROR_VARIABLE noerr GET "${json}" ${i} command)
    if(NOT file MATCHES "^${SRC}/(cli|phone|server|common)/")
      continue()
    endif()
    if(cmd MATCHES "(-I|-iquote|-isystem) *${SRC}/lib( |$)")
      file(RELATIVE_PATH rel ${SRC} ${file})
      list(APPEND bad "${rel}: compiled with lib/ on its include path")
    endif()
  endforeach()
endif()

if(bad)
  list(JOIN bad "\n" text)
  message(FATAL_ERROR "include boundary broken:\n${text}")
endif()
