/* ground_judge.h — the local model as second judge for `sekisho verify --judge-model`: a
 * ground_judge_fn (ground/verify.h) backed by the engine. */
#ifndef SK_CLI_GROUND_JUDGE_H
#define SK_CLI_GROUND_JUDGE_H

#include "base/err.h"
#include "ground/verify.h"

typedef struct ground_model_judge ground_model_judge;

/* Loads the model (GGUF) with a 2,048-token context. Caller frees with ground_model_judge_free. */
int ground_model_judge_open(const char *model_path, ground_model_judge **out, sk_err *err);
void ground_model_judge_free(ground_model_judge *j);
/* The ground_judge_fn: user is the ground_model_judge. */
int ground_model_judge_fn(void *user, const char *claim, size_t claim_len, const char *evidence,
                          size_t evidence_len, ground_verdict *verdict, sk_err *err);

#endif
