/* model_vocab.c — the tokenizer of a model, loaded from the same GGUF metadata. */
#include "engine/model_impl.h"
#include "engine/tokenizer/tok.h"

int eng_model_load_vocab(eng_model *m, sk_err *err) {
  int rc = tok_load_gguf(m->gf, &m->vocab, err);
  if (rc) return rc;
  if (tok_n_vocab(m->vocab) > m->hp.n_vocab)
    return sk_err_set(err, SK_EFORMAT, "tokenizer has %u tokens but token_embd.weight only %u rows",
                      tok_n_vocab(m->vocab), m->hp.n_vocab);
  return SK_OK;
}

void eng_model_free_vocab(eng_model *m) {
  tok_free(m->vocab);
  m->vocab = NULL;
}
