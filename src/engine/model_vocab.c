/* model_vocab.c — the tokenizer of a model. Until the tokenizer module lands, models load
 * without one (eng_model_vocab returns NULL) and callers pass token ids. */
#include "engine/model_impl.h"

int eng_model_load_vocab(eng_model *m, sk_err *err) {
  (void)err;
  m->vocab = NULL;
  return SK_OK;
}

void eng_model_free_vocab(eng_model *m) { m->vocab = NULL; }
