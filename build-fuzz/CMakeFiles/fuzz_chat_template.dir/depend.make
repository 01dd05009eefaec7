# Empty dependencies file for fuzz_chat_template.
# This may be replaced when dependencies are built.
