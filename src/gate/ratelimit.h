/* ratelimit.h — token buckets per name (an API key id or a tenant id), for requests and tokens.
 *
 * Each bucket holds up to `per_minute` units and refills continuously at per_minute/60 per second,
 * so a client may burst a minute's allowance and then proceeds at the steady rate. A request takes
 * 1 request unit and its estimated tokens up front; rl_refund gives back what it did not use.
 * Thread safety: one mutex per table (the critical section is a hash probe and two multiplies). */
#ifndef SK_GATE_RATELIMIT_H
#define SK_GATE_RATELIMIT_H

#include <stdint.h>

#include "gate/config.h"

/* Distinct names the table tracks; beyond it the oldest-refilled bucket is recycled (a recycled
 * bucket starts full, so the bound can only make limits more lenient, never deny wrongly). */
#define RL_MAX_BUCKETS 8192

typedef struct rl_table rl_table;

rl_table *rl_new(void); /* NULL when out of memory; free with rl_free */
void rl_free(rl_table *t);

/* Takes 1 request and `tokens` tokens from name's buckets under lim. Returns 0, or 1 when a bucket
 * is short (nothing taken), with *retry_after_s the seconds until it would fit and *which
 * "requests" or "tokens". */
int rl_take(rl_table *t, const char *name, const gate_limits *lim, uint64_t tokens, double *retry_after_s,
            const char **which);
/* Gives back tokens taken but not used. */
void rl_refund(rl_table *t, const char *name, const gate_limits *lim, uint64_t tokens);

#endif
