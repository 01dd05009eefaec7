# Empty dependencies file for sekisho.
# This may be replaced when dependencies are built.
