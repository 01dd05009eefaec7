file(REMOVE_RECURSE
  "../../sekisho"
  "../../sekisho.pdb"
  "CMakeFiles/sekisho.dir/cmd_chat.c.o"
  "CMakeFiles/sekisho.dir/cmd_chat.c.o.d"
  "CMakeFiles/sekisho.dir/cmd_gguf_synth.c.o"
  "CMakeFiles/sekisho.dir/cmd_gguf_synth.c.o.d"
  "CMakeFiles/sekisho.dir/cmd_info.c.o"
  "CMakeFiles/sekisho.dir/cmd_info.c.o.d"
  "CMakeFiles/sekisho.dir/cmd_logits.c.o"
  "CMakeFiles/sekisho.dir/cmd_logits.c.o.d"
  "CMakeFiles/sekisho.dir/cmd_run.c.o"
  "CMakeFiles/sekisho.dir/cmd_run.c.o.d"
  "CMakeFiles/sekisho.dir/cmd_tokenize.c.o"
  "CMakeFiles/sekisho.dir/cmd_tokenize.c.o.d"
  "CMakeFiles/sekisho.dir/gen.c.o"
  "CMakeFiles/sekisho.dir/gen.c.o.d"
  "CMakeFiles/sekisho.dir/main.c.o"
  "CMakeFiles/sekisho.dir/main.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sekisho.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
