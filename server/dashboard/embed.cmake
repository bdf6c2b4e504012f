# Writes OUT, a C++ file holding the dashboard's files (FILES, a comma-separated list of
# paths under DIR) as byte arrays, for server/api/dashboard_files.cc:
#   cmake -DDIR=... -DFILES=a,b -DOUT=... -P embed.cmake
set(body "// Generated from server/dashboard by embed.cmake; do not edit.\n#include \"server/api/dashboard_files.h\"\n\nnamespace ms {\nnamespace {\n")
set(table "")
set(index 0)
string(REPLACE "," ";" FILES "${FILES}")
foreach(name ${FILES})
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND body "constexpr char kFile${index}[] = {${bytes} 0};\n")
  string(APPEND table "    {\"/${name}\", std::string_view(kFile${index}, ${size})},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nstd::span<const EmbeddedFile> DashboardFiles() {\n  static const EmbeddedFile kFiles[] = {\n${table}  };\n  return kFiles;\n}\n\n}  // namespace ms\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
