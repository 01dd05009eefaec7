
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-model/src/engine/arch/gemma.c" "src/engine/CMakeFiles/sk_engine.dir/arch/gemma.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/arch/gemma.c.o.d"
  "/work/wt-model/src/engine/arch/llama.c" "src/engine/CMakeFiles/sk_engine.dir/arch/llama.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/arch/llama.c.o.d"
  "/work/wt-model/src/engine/arch/qwen.c" "src/engine/CMakeFiles/sk_engine.dir/arch/qwen.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/arch/qwen.c.o.d"
  "/work/wt-model/src/engine/chat_template.c" "src/engine/CMakeFiles/sk_engine.dir/chat_template.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/chat_template.c.o.d"
  "/work/wt-model/src/engine/chat_template_gguf.c" "src/engine/CMakeFiles/sk_engine.dir/chat_template_gguf.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/chat_template_gguf.c.o.d"
  "/work/wt-model/src/engine/cpu/scalar.c" "src/engine/CMakeFiles/sk_engine.dir/cpu/scalar.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/cpu/scalar.c.o.d"
  "/work/wt-model/src/engine/ctx.c" "src/engine/CMakeFiles/sk_engine.dir/ctx.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/ctx.c.o.d"
  "/work/wt-model/src/engine/gguf.c" "src/engine/CMakeFiles/sk_engine.dir/gguf.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/gguf.c.o.d"
  "/work/wt-model/src/engine/gguf_write.c" "src/engine/CMakeFiles/sk_engine.dir/gguf_write.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/gguf_write.c.o.d"
  "/work/wt-model/src/engine/gtype.c" "src/engine/CMakeFiles/sk_engine.dir/gtype.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/gtype.c.o.d"
  "/work/wt-model/src/engine/jinja/jinja_builtins.c" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_builtins.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_builtins.c.o.d"
  "/work/wt-model/src/engine/jinja/jinja_eval.c" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_eval.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_eval.c.o.d"
  "/work/wt-model/src/engine/jinja/jinja_parse.c" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_parse.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/jinja/jinja_parse.c.o.d"
  "/work/wt-model/src/engine/kv.c" "src/engine/CMakeFiles/sk_engine.dir/kv.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/kv.c.o.d"
  "/work/wt-model/src/engine/model.c" "src/engine/CMakeFiles/sk_engine.dir/model.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/model.c.o.d"
  "/work/wt-model/src/engine/model_vocab.c" "src/engine/CMakeFiles/sk_engine.dir/model_vocab.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/model_vocab.c.o.d"
  "/work/wt-model/src/engine/ops.c" "src/engine/CMakeFiles/sk_engine.dir/ops.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/ops.c.o.d"
  "/work/wt-model/src/engine/quant/k_quantize.c" "src/engine/CMakeFiles/sk_engine.dir/quant/k_quantize.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/k_quantize.c.o.d"
  "/work/wt-model/src/engine/quant/k_quants.c" "src/engine/CMakeFiles/sk_engine.dir/quant/k_quants.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/k_quants.c.o.d"
  "/work/wt-model/src/engine/quant/q4_0.c" "src/engine/CMakeFiles/sk_engine.dir/quant/q4_0.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/q4_0.c.o.d"
  "/work/wt-model/src/engine/quant/q4_1.c" "src/engine/CMakeFiles/sk_engine.dir/quant/q4_1.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/q4_1.c.o.d"
  "/work/wt-model/src/engine/quant/q5_0.c" "src/engine/CMakeFiles/sk_engine.dir/quant/q5_0.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/q5_0.c.o.d"
  "/work/wt-model/src/engine/quant/q5_1.c" "src/engine/CMakeFiles/sk_engine.dir/quant/q5_1.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/q5_1.c.o.d"
  "/work/wt-model/src/engine/quant/q8_0.c" "src/engine/CMakeFiles/sk_engine.dir/quant/q8_0.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/q8_0.c.o.d"
  "/work/wt-model/src/engine/quant/quant.c" "src/engine/CMakeFiles/sk_engine.dir/quant/quant.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/quant/quant.c.o.d"
  "/work/wt-model/src/engine/sampler.c" "src/engine/CMakeFiles/sk_engine.dir/sampler.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/sampler.c.o.d"
  "/work/wt-model/src/engine/stop.c" "src/engine/CMakeFiles/sk_engine.dir/stop.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/stop.c.o.d"
  "/work/wt-model/src/engine/synth.c" "src/engine/CMakeFiles/sk_engine.dir/synth.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/synth.c.o.d"
  "/work/wt-model/src/engine/tokenizer/bpe.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/bpe.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/bpe.c.o.d"
  "/work/wt-model/src/engine/tokenizer/bytemap.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/bytemap.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/bytemap.c.o.d"
  "/work/wt-model/src/engine/tokenizer/detok.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/detok.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/detok.c.o.d"
  "/work/wt-model/src/engine/tokenizer/encode.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/encode.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/encode.c.o.d"
  "/work/wt-model/src/engine/tokenizer/load.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/load.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/load.c.o.d"
  "/work/wt-model/src/engine/tokenizer/pretokenize.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/pretokenize.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/pretokenize.c.o.d"
  "/work/wt-model/src/engine/tokenizer/spm.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/spm.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/spm.c.o.d"
  "/work/wt-model/src/engine/tokenizer/ucd.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/ucd.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/ucd.c.o.d"
  "/work/wt-model/src/engine/tokenizer/vocab.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/vocab.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/vocab.c.o.d"
  "/work/wt-model/src/engine/tokenizer/wpm.c" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/wpm.c.o" "gcc" "src/engine/CMakeFiles/sk_engine.dir/tokenizer/wpm.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/wt-model/build-rel/src/base/CMakeFiles/sk_base.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
