
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-chat/src/engine/chat_template.c" "src/engine/CMakeFiles/sk_engine.dir/chat_template.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/chat_template.c.o.d"
  "/work/wt-chat/src/engine/chat_template_gguf.c" "src/engine/CMakeFiles/sk_engine.dir/chat_template_gguf.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/chat_template_gguf.c.o.d"
  "/work/wt-chat/src/engine/gguf.c" "src/engine/CMakeFiles/sk_engine.dir/gguf.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/gguf.c.o.d"
  "/work/wt-chat/src/engine/gtype.c" "src/engine/CMakeFiles/sk_engine.dir/gtype.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/gtype.c.o.d"
  "/work/wt-chat/src/engine/jinja/jinja_builtins.c" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_builtins.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_builtins.c.o.d"
  "/work/wt-chat/src/engine/jinja/jinja_eval.c" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_eval.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_eval.c.o.d"
  "/work/wt-chat/src/engine/jinja/jinja_parse.c" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_parse.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_parse.c.o.d"
  "/work/wt-chat/src/engine/sampler.c" "src/engine/CMakeFiles/sk_engine.dir/sampler.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/sampler.c.o.d"
  "/work/wt-chat/src/engine/stop.c" "src/engine/CMakeFiles/sk_engine.dir/stop.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/stop.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt-chat/build-fuzz/src/base/CMakeFiles/sk_base.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
