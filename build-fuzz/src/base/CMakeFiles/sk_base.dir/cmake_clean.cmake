file(REMOVE_RECURSE
  "CMakeFiles/sk_base.dir/alloc.c.o"
  "CMakeFiles/sk_base.dir/alloc.c.o.d"
  "CMakeFiles/sk_base.dir/buf.c.o"
  "CMakeFiles/sk_base.dir/buf.c.o.d"
  "CMakeFiles/sk_base.dir/err.c.o"
  "CMakeFiles/sk_base.dir/err.c.o.d"
  "CMakeFiles/sk_base.dir/fs.c.o"
  "CMakeFiles/sk_base.dir/fs.c.o.d"
  "CMakeFiles/sk_base.dir/log.c.o"
  "CMakeFiles/sk_base.dir/log.c.o.d"
  "CMakeFiles/sk_base.dir/utf8.c.o"
  "CMakeFiles/sk_base.dir/utf8.c.o.d"
  "libsk_base.a"
  "libsk_base.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sk_base.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
