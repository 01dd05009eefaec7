
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-chat/tests/fuzz/fuzz_chat_template.c" "CMakeFiles/fuzz_chat_template.dir/tests/fuzz/fuzz_chat_template.c.o" "gcc" "CMakeFiles/fuzz_chat_template.dir/tests/fuzz/fuzz_chat_template.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt-chat/build-fuzz/src/base/CMakeFiles/sk_base.dir/DependInfo.cmake"
  "/work/wt-chat/build-fuzz/src/engine/CMakeFiles/sk_engine.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
