/* cmd_gguf_synth.c — `sekisho gguf-synth`: write a deterministic random-weight GGUF model. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "cli/cli.h"
#include "engine/synth.h"

static const char k_help[] =
    "usage: sekisho gguf-synth --arch ARCH [--shape SHAPE] [--type TYPE] [--seed N] [--ctx N]\n"
    "                          [overrides] [-o FILE]\n"
    "\n"
    "Writes a GGUF model with deterministic random weights (same options, same bytes) and a\n"
    "small built-in SentencePiece vocabulary (<unk> <s> </s>, 256 byte tokens, <|im_start|>\n"
    "<|im_end|>, ▁ and printable ASCII, then <unused_N> fillers) with a ChatML template.\n"
    "Tensors are streamed row by row: real shapes need no more memory than tiny ones.\n"
    "\n"
    "  --arch ARCH      llama | qwen2 | qwen3 | gemma2 | gemma3\n"
    "  --shape SHAPE    tiny (default; embd 64, 2 layers) | qwen2.5-0.5b | llama-3.2-1b\n"
    "  --type TYPE      F32 (default) F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K Q5_K Q6_K Q4_K_M\n"
    "                   (K-quant rows not a multiple of 256 fall back to Q5_0/Q5_1/Q8_0 and the\n"
    "                   output matrix is Q6_K, as llama-quantize does)\n"
    "  --seed N         PRNG seed (default 1)\n"
    "  --ctx N          context length recorded in the metadata\n"
    "  --embd N --layers N --heads N --kv-heads N --ff N --vocab N --head-dim N\n"
    "                   override the shape (embd, ff, heads*head-dim: multiples of 32;\n"
    "                   vocab >= 356)\n"
    "  --swa N          sliding window (gemma2/gemma3)\n"
    "  --tied | --untied  output matrix shared with token_embd or separate (gemma: always tied)\n"
    "  -o, --output FILE  where to write (default DATA_DIR/models/synth-ARCH-SHAPE-TYPE.gguf)\n"
    "  -h, --help       this help\n"
    "\n"
    "Prints the path and size on success. Exit 0 ok, 1 failure, 2 usage error.\n";

static int parse_u32(const char *s, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || v > 0xffffffffull || s[0] == '-') return -1;
  *out = (uint32_t)v;
  return 0;
}

int cmd_gguf_synth(const sk_cli *cli, int argc, char **argv) {
  enum {
    O_ARCH = 256,
    O_SHAPE,
    O_TYPE,
    O_SEED,
    O_CTX,
    O_EMBD,
    O_LAYERS,
    O_HEADS,
    O_KV,
    O_FF,
    O_VOCAB,
    O_HD,
    O_SWA,
    O_TIED,
    O_UNTIED
  };
  static const struct option opts[] = {{"arch", required_argument, 0, O_ARCH},
                                       {"shape", required_argument, 0, O_SHAPE},
                                       {"type", required_argument, 0, O_TYPE},
                                       {"seed", required_argument, 0, O_SEED},
                                       {"ctx", required_argument, 0, O_CTX},
                                       {"embd", required_argument, 0, O_EMBD},
                                       {"layers", required_argument, 0, O_LAYERS},
                                       {"heads", required_argument, 0, O_HEADS},
                                       {"kv-heads", required_argument, 0, O_KV},
                                       {"ff", required_argument, 0, O_FF},
                                       {"vocab", required_argument, 0, O_VOCAB},
                                       {"head-dim", required_argument, 0, O_HD},
                                       {"swa", required_argument, 0, O_SWA},
                                       {"tied", no_argument, 0, O_TIED},
                                       {"untied", no_argument, 0, O_UNTIED},
                                       {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *arch = NULL, *shape = NULL, *type = "F32", *out = NULL;
  /* overrides are applied after the shape defaults: remember them */
  struct {
    int set;
    uint32_t v;
  } ov[O_UNTIED + 1] = {{0}};
  unsigned long long seed = 1;
  int seed_set = 0, c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'h': fputs(k_help, stdout); return SK_EXIT_OK;
    case 'o': out = optarg; break;
    case O_ARCH: arch = optarg; break;
    case O_SHAPE: shape = optarg; break;
    case O_TYPE: type = optarg; break;
    case O_SEED: {
      char *end;
      errno = 0;
      seed = strtoull(optarg, &end, 0);
      if (errno || end == optarg || *end)
        return sk_cli_usage_error("gguf-synth", "--seed needs a number, got '%s'", optarg);
      seed_set = 1;
      break;
    }
    case O_TIED:
    case O_UNTIED: ov[c].set = 1; break;
    case '?': return sk_cli_usage_error("gguf-synth", "invalid option");
    default:
      if (parse_u32(optarg, &ov[c].v))
        return sk_cli_usage_error("gguf-synth", "%s needs a non-negative number, got '%s'",
                                  argv[optind - 1], optarg);
      ov[c].set = 1;
    }
  }
  if (optind < argc)
    return sk_cli_usage_error("gguf-synth", "unexpected argument '%s'", argv[optind]);
  if (!arch)
    return sk_cli_usage_error("gguf-synth",
                              "--arch is required (llama, qwen2, qwen3, gemma2, gemma3)");
  synth_config cfg;
  sk_err err;
  if (synth_config_init(&cfg, arch, shape, &err))
    return sk_cli_usage_error("gguf-synth", "%s", err.msg);
  int ft = synth_ftype_from_name(type);
  if (ft < 0)
    return sk_cli_usage_error("gguf-synth",
                              "unknown --type '%s' (F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 "
                              "Q5_1 Q4_K Q5_K Q6_K Q4_K_M)",
                              type);
  cfg.ftype = ft;
  if (seed_set) cfg.seed = seed;
  if (ov[O_CTX].set) cfg.n_ctx = ov[O_CTX].v;
  if (ov[O_EMBD].set) cfg.n_embd = ov[O_EMBD].v;
  if (ov[O_LAYERS].set) cfg.n_layer = ov[O_LAYERS].v;
  if (ov[O_HEADS].set) cfg.n_head = ov[O_HEADS].v;
  if (ov[O_KV].set) cfg.n_head_kv = ov[O_KV].v;
  if (ov[O_FF].set) cfg.n_ff = ov[O_FF].v;
  if (ov[O_VOCAB].set) cfg.n_vocab = ov[O_VOCAB].v;
  if (ov[O_HD].set) cfg.head_dim = ov[O_HD].v;
  if (ov[O_SWA].set) cfg.n_swa = ov[O_SWA].v;
  if (ov[O_TIED].set) cfg.tied = 1;
  if (ov[O_UNTIED].set) {
    if (!strncmp(cfg.arch, "gemma", 5))
      return sk_cli_usage_error("gguf-synth", "--untied: gemma models always share token_embd");
    cfg.tied = 0;
  }
  if (synth_config_check(&cfg, &err)) return sk_cli_usage_error("gguf-synth", "%s", err.msg);
  char path[4096];
  if (!out) {
    char dir[4096];
    if (sk_path_join(dir, sizeof dir, cli->data_dir, "models"))
      return sk_cli_fail("gguf-synth", "data directory path too long");
    if (sk_mkdir_p(dir, &err)) return sk_cli_fail("gguf-synth", "%s", err.msg);
    char name[256];
    snprintf(name, sizeof name, "synth-%s-%s-%s.gguf", cfg.arch, cfg.shape, synth_ftype_name(ft));
    if (sk_path_join(path, sizeof path, dir, name))
      return sk_cli_fail("gguf-synth", "path too long");
    out = path;
  }
  uint64_t size = 0;
  if (synth_write_file(&cfg, out, &size, &err))
    return sk_cli_fail("gguf-synth", "%s (check the directory exists and is writable)", err.msg);
  printf("%s %llu bytes\n", out, (unsigned long long)size);
  return SK_EXIT_OK;
}
