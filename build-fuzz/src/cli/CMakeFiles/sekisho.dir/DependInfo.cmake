
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-chat/src/cli/main.c" "src/cli/CMakeFiles/sekisho.dir/main.c.o" "gcc" "src/cli/CMakeFiles/sekisho.dir/main.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt-chat/build-fuzz/src/base/CMakeFiles/sk_base.dir/DependInfo.cmake"
  "/work/wt-chat/build-fuzz/src/engine/CMakeFiles/sk_engine.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
