file(REMOVE_RECURSE
  "CMakeFiles/fuzz_chat_template.dir/tests/fuzz/fuzz_chat_template.c.o"
  "CMakeFiles/fuzz_chat_template.dir/tests/fuzz/fuzz_chat_template.c.o.d"
  "fuzz_chat_template"
  "fuzz_chat_template.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_chat_template.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
