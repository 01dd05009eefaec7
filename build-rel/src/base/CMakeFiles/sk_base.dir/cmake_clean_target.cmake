file(REMOVE_RECURSE
  "libsk_base.a"
)
