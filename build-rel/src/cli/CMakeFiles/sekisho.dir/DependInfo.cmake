
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-model/src/cli/cmd_chat.c" "src/cli/CMakeFiles/sekisho.dir/cmd_chat.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/cmd_chat.c.o.d"
  "/work/wt-model/src/cli/cmd_gguf_synth.c" "src/cli/CMakeFiles/sekisho.dir/cmd_gguf_synth.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/cmd_gguf_synth.c.o.d"
  "/work/wt-model/src/cli/cmd_info.c" "src/cli/CMakeFiles/sekisho.dir/cmd_info.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/cmd_info.c.o.d"
  "/work/wt-model/src/cli/cmd_logits.c" "src/cli/CMakeFiles/sekisho.dir/cmd_logits.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/cmd_logits.c.o.d"
  "/work/wt-model/src/cli/cmd_run.c" "src/cli/CMakeFiles/sekisho.dir/cmd_run.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/cmd_run.c.o.d"
  "/work/wt-model/src/cli/cmd_tokenize.c" "src/cli/CMakeFiles/sekisho.dir/cmd_tokenize.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/cmd_tokenize.c.o.d"
  "/work/wt-model/src/cli/gen.c" "src/cli/CMakeFiles/sekisho.dir/gen.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/gen.c.o.d"
  "/work/wt-model/src/cli/main.c" "src/cli/CMakeFiles/sekisho.dir/main.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/main.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt-model/build-rel/src/base/CMakeFiles/sk_base.dir/DependInfo.cmake"
  "/work/wt-model/build-rel/src/engine/CMakeFiles/sk_engine.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
