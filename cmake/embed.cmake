# cmake -DIN=file -DOUT=file.cc -DNAME=symbol -P embed.cmake: a C++ file defining
#   std::string_view touchline::embedded::NAME()
# that answers IN's bytes. A byte array, not a string literal: ISO C++ compilers need not take
# literals over 64 KiB, and -Wpedantic says so.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN} by cmake/embed.cmake; do not edit.\n"
  "#include <string_view>\n"
  "namespace touchline::embedded {\n"
  "std::string_view ${NAME}() {\n"
  "  static constexpr unsigned char kBytes[] = {${bytes}};\n"
  "  return {reinterpret_cast<const char*>(kBytes), ${size}};\n"
  "}\n"
  "}  // namespace touchline::embedded\n")
