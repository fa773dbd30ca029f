# Writes the bytes of IN as a C array NAME in OUT (cmake -DIN=... -DOUT=... -DNAME=... -P).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" len)
math(EXPR size "${len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" bytes "${bytes}")
get_filename_component(src ${IN} NAME)
file(WRITE ${OUT} "/* Generated from ${src} at build time. */\n#include \"kernel-sim/vdso.h\"\n\nconst unsigned char ${NAME}[] = {\n\t${bytes}\n};\nconst unsigned long ${NAME}_size = ${size};\n")
