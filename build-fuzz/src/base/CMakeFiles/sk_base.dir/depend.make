# Empty dependencies file for sk_base.
# This may be replaced when dependencies are built.
