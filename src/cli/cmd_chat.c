/* cmd_chat.c — `sekisho chat`: interactive multi-turn chat in the terminal. Each turn renders
 * the whole conversation with the model's template; the KV cache keeps the common prefix, so
 * only the new part is evaluated. Commands: /reset, /quit (or end of input). */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "cli/cli.h"
#include "cli/gen.h"

#define CHAT_MAX_TURNS 1024 /* messages kept; the context fills long before this */
#define CHAT_MAX_LINE 65536 /* one user message */

static const char *k_cmd = "chat";

static void help(void) {
  printf("usage: sekisho chat -m MODEL [--system TEXT] [--chat-template NAME] [-n N] [--temp T]\n"
         "                    [--top-k K] [--top-p P] [--min-p P] [--seed S] [--ctx-size N]\n"
         "\n"
         "Interactive chat using the model's chat template (override with --chat-template:\n"
         "%s). Type a message and Enter; /reset starts over, /quit or Ctrl-D ends.\n",
         chat_template_names);
}

int cmd_chat(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  gen_opts o;
  int rc = gen_parse(k_cmd, argc, argv, &o, help);
  if (rc >= 0) return rc;
  o.chat = 1;
  gen_session g;
  if ((rc = gen_open(k_cmd, &o, &g)) >= 0) return rc;
  chat_msg *msgs = sk_calloc(CHAT_MAX_TURNS, sizeof *msgs);
  char *line = sk_malloc(CHAT_MAX_LINE);
  size_t n_msgs = 0;
  int status = SK_EXIT_OK;
  if (!msgs || !line) {
    status = sk_cli_fail(k_cmd, "out of memory");
    goto out;
  }
  if (o.system) msgs[n_msgs++] = (chat_msg){"system", sk_strdup(o.system)};
  size_t n_fixed = n_msgs;
  for (;;) {
    fprintf(stderr, "> ");
    if (!fgets(line, CHAT_MAX_LINE, stdin)) break;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    if (!strcmp(line, "/quit")) break;
    if (!strcmp(line, "/reset") || n_msgs + 2 > CHAT_MAX_TURNS) {
      for (size_t i = n_fixed; i < n_msgs; i++) sk_free((char *)msgs[i].content);
      n_msgs = n_fixed;
      if (!strcmp(line, "/reset")) continue;
    }
    if (!len) continue;
    msgs[n_msgs++] = (chat_msg){"user", sk_strdup(line)};
    sk_buf text;
    sk_buf_init(&text, 1u << 24);
    sk_err err;
    int32_t *toks = NULL;
    size_t n = 0;
    char *reply = NULL;
    rc = chat_render(g.tmpl, msgs, n_msgs, 1, &text, &err);
    if (!rc) rc = gen_tokenize(&g, text.data ? text.data : "", text.len, &toks, &n, &err);
    sk_buf_release(&text);
    if (!rc) rc = gen_run(&g, toks, n, o.n_predict, stdout, &reply, &err);
    sk_free(toks);
    printf("\n");
    fflush(stdout);
    if (rc) {
      sk_free(reply);
      sk_free((char *)msgs[--n_msgs].content);
      fprintf(stderr, "sekisho chat: error: %s (/reset to start over)\n", err.msg);
      continue;
    }
    msgs[n_msgs++] = (chat_msg){"assistant", reply};
  }
out:
  if (msgs)
    for (size_t i = 0; i < n_msgs; i++) sk_free((char *)msgs[i].content);
  sk_free(msgs);
  sk_free(line);
  gen_close(&g);
  return status;
}
