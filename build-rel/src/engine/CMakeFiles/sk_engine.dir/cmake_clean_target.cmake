file(REMOVE_RECURSE
  "libsk_engine.a"
)
