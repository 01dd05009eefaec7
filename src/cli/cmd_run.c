/* cmd_run.c — `sekisho run`: generate text from one prompt (optionally through the model's chat
 * template) and print it; with -v, prompt and generation speeds on stderr. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "cli/cli.h"
#include "cli/gen.h"

static const char *k_cmd = "run";

static void help(void) {
  printf("usage: sekisho run -m MODEL -p PROMPT [-n N] [--temp T] [--top-k K] [--top-p P]\n"
         "                   [--min-p P] [--seed S] [--repeat-penalty R] [--chat] [--system TEXT]\n"
         "                   [--chat-template NAME] [--ctx-size N] [--threads N] [--precision exact|fast]\n"
         "\n"
         "Generates text after PROMPT and prints it to stdout as it is produced. --chat wraps the\n"
         "prompt (and --system) in the model's chat template. --temp 0 is greedy. With -v\n"
         "(before `run`), prompt and generation speeds go to stderr.\n");
}

int cmd_run(const sk_cli *cli, int argc, char **argv) {
  gen_opts o;
  int rc = gen_parse(k_cmd, argc, argv, &o, help);
  if (rc >= 0) return rc;
  if (!o.prompt) return sk_cli_usage_error(k_cmd, "-p PROMPT is required");
  gen_session g;
  if ((rc = gen_open(k_cmd, &o, &g)) >= 0) return rc;
  sk_err err;
  sk_buf text;
  sk_buf_init(&text, 1u << 24);
  if (o.chat) {
    chat_msg msgs[2];
    size_t n = 0;
    if (o.system) msgs[n++] = (chat_msg){"system", o.system};
    msgs[n++] = (chat_msg){"user", o.prompt};
    if (chat_render(g.tmpl, msgs, n, 1, &text, &err)) {
      sk_buf_release(&text);
      gen_close(&g);
      return sk_cli_fail(k_cmd, "chat template: %s", err.msg);
    }
  } else if (sk_buf_append_str(&text, o.prompt)) {
    sk_buf_release(&text);
    gen_close(&g);
    return sk_cli_fail(k_cmd, "prompt too long");
  }
  int32_t *toks = NULL;
  size_t n = 0;
  rc = gen_tokenize(&g, text.data ? text.data : "", text.len, &toks, &n, &err);
  sk_buf_release(&text);
  if (!rc) rc = gen_run(&g, toks, n, o.n_predict, stdout, NULL, &err);
  sk_free(toks);
  printf("\n");
  if (rc) {
    gen_close(&g);
    return sk_cli_fail(k_cmd, "%s", err.msg);
  }
  if (cli->verbose)
    fprintf(stderr,
            "prompt: %zu tokens in %.3f s (%.1f tokens/s); generation: %zu tokens in %.3f s "
            "(%.1f tokens/s); context memory %.1f MiB\n",
            g.n_prompt_eval, g.prompt_s, g.prompt_s > 0 ? (double)g.n_prompt_eval / g.prompt_s : 0,
            g.n_gen, g.gen_s, g.gen_s > 0 ? (double)g.n_gen / g.gen_s : 0,
            (double)eng_ctx_memory_bytes(g.c) / (1 << 20));
  gen_close(&g);
  return SK_EXIT_OK;
}
