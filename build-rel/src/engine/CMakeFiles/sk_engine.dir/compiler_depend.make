# Empty compiler generated dependencies file for sk_engine.
# This may be replaced when dependencies are built.
