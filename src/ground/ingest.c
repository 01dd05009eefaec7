/* ingest.c — file loading, HTML/PDF text extraction, change-aware ingest (see ingest.h). */
#include "ground/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/utf8.h"

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcasecmp(s + a - b, suf);
}

ground_format ground_format_of(const char *path, const char *head, size_t head_len) {
  if ((head_len >= 5 && !memcmp(head, "%PDF-", 5)) || ends_with(path, ".pdf")) return GROUND_FORMAT_PDF;
  if (ends_with(path, ".html") || ends_with(path, ".htm") || ends_with(path, ".xhtml")) return GROUND_FORMAT_HTML;
  if (ends_with(path, ".md") || ends_with(path, ".markdown")) return GROUND_FORMAT_MARKDOWN;
  return GROUND_FORMAT_TEXT;
}

/* Runs pdftotext on path, reading at most GROUND_PDF_TEXT_MAX_BYTES of its output. */
static int pdf_to_text(const char *path, char **out, size_t *out_len, sk_err *err) {
  int fds[2];
  if (pipe(fds) != 0) return sk_err_set(err, SK_EIO, "pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    return sk_err_set(err, SK_EIO, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]), close(fds[1]);
    int dn = open("/dev/null", O_WRONLY);
    if (dn >= 0) dup2(dn, 2);
    execlp("pdftotext", "pdftotext", "-q", "-enc", "UTF-8", "--", path, "-", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  sk_buf b;
  sk_buf_init(&b, GROUND_PDF_TEXT_MAX_BYTES);
  char chunk[65536];
  int rc = SK_OK;
  for (;;) {
    ssize_t r = read(fds[0], chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if ((rc = sk_buf_append(&b, chunk, (size_t)r))) {
      kill(pid, SIGKILL);
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (rc) {
    sk_buf_release(&b);
    return sk_err_set(err, SK_ELIMIT, "PDF text exceeds %u bytes; split the document", GROUND_PDF_TEXT_MAX_BYTES);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    sk_buf_release(&b);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      return sk_err_set(err, SK_ENOTSUP, "pdftotext not found: install poppler-utils to ingest PDF");
    return sk_err_set(err, SK_EFORMAT,
                      "not a readable PDF (pdftotext exit %d): the file is damaged, truncated or encrypted",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  if (b.len == 0 || b.len == (size_t)strspn(b.data, "\f\n \t")) {
    sk_buf_release(&b);
    return sk_err_set(err, SK_EFORMAT, "the PDF has no text layer (scanned images need OCR first)");
  }
  *out_len = b.len;
  *out = sk_buf_detach(&b);
  return SK_OK;
}

static int append_entity(sk_buf *b, const char *s, size_t n, size_t *used) {
  static const struct { const char *name; const char *txt; } ents[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", " "}};
  for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
    size_t l = strlen(ents[i].name);
    if (n >= l && !strncasecmp(s, ents[i].name, l)) {
      *used = l;
      return sk_buf_append_str(b, ents[i].txt);
    }
  }
  if (n >= 4 && s[1] == '#') {
    size_t j = 2;
    int hex = s[j] == 'x' || s[j] == 'X';
    if (hex) j++;
    unsigned long cp = 0;
    size_t d0 = j;
    while (j < n && j < d0 + 8) {
      char c = s[j];
      int v = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (v < 0) break;
      cp = cp * (hex ? 16 : 10) + (unsigned long)v;
      j++;
    }
    if (j > d0 && j < n && s[j] == ';') {
      char enc[4];
      size_t el = sk_utf8_encode((uint32_t)cp, enc);
      *used = j + 1;
      return el ? sk_buf_append(b, enc, el) : SK_OK;
    }
  }
  *used = 1;
  return sk_buf_append_byte(b, '&');
}

int ground_html_to_text(const char *h, size_t n, char **out, size_t *out_len, sk_err *err) {
  static const char *const block[] = {"p", "br", "div", "li", "tr", "table", "section", "article", "blockquote", "pre", "dd", "dt"};
  sk_buf b;
  sk_buf_init(&b, n + 1024);
  int rc = SK_OK;
  for (size_t i = 0; i < n && !rc;) {
    if (h[i] == '<') {
      const char *gt = memchr(h + i, '>', n - i);
      size_t end = gt ? (size_t)(gt - h) + 1 : n;
      const char *name = h + i + 1;
      int closing = name < h + n && *name == '/';
      if (closing) name++;
      size_t nl = 0;
      while (name + nl < h + end && ((name[nl] >= 'a' && name[nl] <= 'z') || (name[nl] >= 'A' && name[nl] <= 'Z') || (name[nl] >= '0' && name[nl] <= '9'))) nl++;
      if (!closing && ((nl == 6 && !strncasecmp(name, "script", 6)) || (nl == 5 && !strncasecmp(name, "style", 5)))) {
        char close[10];
        snprintf(close, sizeof close, "</%.*s", (int)nl, name);
        const char *c = NULL;
        for (size_t k = end; k + nl + 2 <= n; k++)
          if (!strncasecmp(h + k, close, nl + 2)) { c = h + k; break; }
        const char *cg = c ? memchr(c, '>', (size_t)(h + n - c)) : NULL;
        i = cg ? (size_t)(cg - h) + 1 : n;
        continue;
      }
      if (nl == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6') {
        rc = sk_buf_append_str(&b, closing ? "\n" : "\n# ");
      } else {
        for (size_t k = 0; k < sizeof block / sizeof block[0]; k++)
          if (strlen(block[k]) == nl && !strncasecmp(name, block[k], nl)) { rc = sk_buf_append_byte(&b, '\n'); break; }
      }
      i = end;
    } else if (h[i] == '&') {
      size_t used = 1;
      rc = append_entity(&b, h + i, n - i, &used);
      i += used;
    } else {
      const char *lt = memchr(h + i, '<', n - i);
      const char *amp = memchr(h + i, '&', n - i);
      size_t stop = lt ? (size_t)(lt - h) : n;
      if (amp && (size_t)(amp - h) < stop) stop = (size_t)(amp - h);
      rc = sk_buf_append(&b, h + i, stop - i);
      i = stop;
    }
  }
  if (rc) { sk_buf_release(&b); return sk_err_set(err, rc, "HTML text too large"); }
  *out_len = b.len;
  *out = b.len ? sk_buf_detach(&b) : sk_strdup("");
  sk_buf_release(&b);
  return *out ? SK_OK : sk_err_set(err, SK_ENOMEM, "out of memory");
}

int ground_load_file(const char *path, char **text, size_t *len, uint64_t *raw_hash, sk_err *err) {
  *text = NULL;
  *len = 0;
  char *raw = NULL;
  size_t rl = 0;
  int rc = sk_read_file(path, GROUND_FILE_MAX_BYTES, &raw, &rl, err);
  if (rc) return rc;
  *raw_hash = ground_hash(raw, rl);
  ground_format fmt = ground_format_of(path, raw, rl);
  char *t = NULL;
  size_t tl = 0;
  if (fmt == GROUND_FORMAT_PDF) {
    if (rl < 5 || memcmp(raw, "%PDF-", 5)) {
      sk_free(raw);
      return sk_err_set(err, SK_EFORMAT, "named .pdf but does not start with %%PDF-: not a PDF file");
    }
    sk_free(raw);
    rc = pdf_to_text(path, &t, &tl, err);
    if (rc) return rc;
  } else {
    t = raw, tl = rl;
  }
  const char *nul = memchr(t, '\0', tl);
  if (nul) {
    rc = sk_err_set(err, SK_EFORMAT, "binary data (NUL byte at offset %zu): only text, Markdown, HTML and PDF can be ingested",
                    (size_t)(nul - t));
    sk_free(t);
    return rc;
  }
  size_t bad = 0;
  if (!sk_utf8_valid(t, tl, &bad)) {
    rc = sk_err_set(err, SK_EFORMAT, "invalid UTF-8 at byte %zu: convert the file first (e.g. iconv -f SHIFT_JIS -t UTF-8)", bad);
    sk_free(t);
    return rc;
  }
  if (fmt == GROUND_FORMAT_HTML) {
    char *h = NULL;
    size_t hl = 0;
    rc = ground_html_to_text(t, tl, &h, &hl, err);
    sk_free(t);
    if (rc) return rc;
    t = h, tl = hl;
  }
  *text = t;
  *len = tl;
  return SK_OK;
}

int ground_ingest_file(ground_index *ix, const char *path, ground_ingest_status *status,
                       size_t *n_chunks, sk_err *err) {
  *n_chunks = 0;
  char *t = NULL;
  size_t tl = 0;
  uint64_t h = 0;
  int rc = ground_load_file(path, &t, &tl, &h, err);
  if (rc) return rc;
  int found = 0, same = 0;
  rc = ground_index_file_state(ix, path, h, &found, &same, err);
  if (!rc && found && same) {
    *status = GROUND_INGEST_UNCHANGED;
  } else if (!rc) {
    rc = ground_index_put_text(ix, path, h, t, tl, 0, n_chunks, err);
    *status = found ? GROUND_INGEST_UPDATED : GROUND_INGEST_ADDED;
  }
  sk_free(t);
  return rc;
}
