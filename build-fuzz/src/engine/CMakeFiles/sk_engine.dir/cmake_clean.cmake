file(REMOVE_RECURSE
  "CMakeFiles/sk_engine.dir/chat_template.c.o"
  "CMakeFiles/sk_engine.dir/chat_template.c.o.d"
  "CMakeFiles/sk_engine.dir/chat_template_gguf.c.o"
  "CMakeFiles/sk_engine.dir/chat_template_gguf.c.o.d"
  "CMakeFiles/sk_engine.dir/gguf.c.o"
  "CMakeFiles/sk_engine.dir/gguf.c.o.d"
  "CMakeFiles/sk_engine.dir/gtype.c.o"
  "CMakeFiles/sk_engine.dir/gtype.c.o.d"
  "CMakeFiles/sk_engine.dir/jinja/jinja_builtins.c.o"
  "CMakeFiles/sk_engine.dir/jinja/jinja_builtins.c.o.d"
  "CMakeFiles/sk_engine.dir/jinja/jinja_eval.c.o"
  "CMakeFiles/sk_engine.dir/jinja/jinja_eval.c.o.d"
  "CMakeFiles/sk_engine.dir/jinja/jinja_parse.c.o"
  "CMakeFiles/sk_engine.dir/jinja/jinja_parse.c.o.d"
  "CMakeFiles/sk_engine.dir/sampler.c.o"
  "CMakeFiles/sk_engine.dir/sampler.c.o.d"
  "CMakeFiles/sk_engine.dir/stop.c.o"
  "CMakeFiles/sk_engine.dir/stop.c.o.d"
  "libsk_engine.a"
  "libsk_engine.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sk_engine.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
