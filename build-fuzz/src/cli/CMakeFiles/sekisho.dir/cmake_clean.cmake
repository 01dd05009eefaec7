file(REMOVE_RECURSE
  "../../sekisho"
  "../../sekisho.pdb"
  "CMakeFiles/sekisho.dir/main.c.o"
  "CMakeFiles/sekisho.dir/main.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sekisho.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
