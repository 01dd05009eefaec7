
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-chat/src/base/alloc.c" "src/base/CMakeFiles/sk_base.dir/alloc.c.o" "gcc" "src/base/CMakeFiles/sk_base.dir/alloc.c.o.d"
  "/work/wt-chat/src/base/buf.c" "src/base/CMakeFiles/sk_base.dir/buf.c.o" "gcc" "src/base/CMakeFiles/sk_base.dir/buf.c.o.d"
  "/work/wt-chat/src/base/err.c" "src/base/CMakeFiles/sk_base.dir/err.c.o" "gcc" "src/base/CMakeFiles/sk_base.dir/err.c.o.d"
  "/work/wt-chat/src/base/fs.c" "src/base/CMakeFiles/sk_base.dir/fs.c.o" "gcc" "src/base/CMakeFiles/sk_base.dir/fs.c.o.d"
  "/work/wt-chat/src/base/log.c" "src/base/CMakeFiles/sk_base.dir/log.c.o" "gcc" "src/base/CMakeFiles/sk_base.dir/log.c.o.d"
  "/work/wt-chat/src/base/utf8.c" "src/base/CMakeFiles/sk_base.dir/utf8.c.o" "gcc" "src/base/CMakeFiles/sk_base.dir/utf8.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
