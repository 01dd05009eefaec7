/* ingest.h — turning files (text, Markdown, HTML, PDF) into indexed chunks.
 *
 * PDF text comes from poppler's `pdftotext` (poppler-utils), run as a child process with its
 * output bounded by GROUND_PDF_TEXT_MAX_BYTES: poppler's C++ API would pull C++ into a C binary,
 * and a separate process keeps a crash in a hostile PDF out of the gateway. Page breaks arrive as
 * form feeds, which the chunker counts as pages.
 * Hostile inputs are ordinary errors with a message saying what to do: binary junk (NUL bytes),
 * invalid UTF-8 (with the offset), a broken or encrypted PDF, a file over the size bound. */
#ifndef SK_GROUND_INGEST_H
#define SK_GROUND_INGEST_H

#include <stddef.h>

#include "base/err.h"
#include "ground/index.h"

/* Largest file read (text/HTML/Markdown/PDF): statutes are a few MB; 64 MiB is generous. */
#define GROUND_FILE_MAX_BYTES (64u << 20)
/* Largest text pdftotext may produce for one PDF before it is stopped. */
#define GROUND_PDF_TEXT_MAX_BYTES (32u << 20)

typedef enum ground_format {
  GROUND_FORMAT_TEXT = 0,
  GROUND_FORMAT_MARKDOWN,
  GROUND_FORMAT_HTML,
  GROUND_FORMAT_PDF,
} ground_format;

/* Format from the extension and, for PDF, the %PDF- magic. */
ground_format ground_format_of(const char *path, const char *head, size_t head_len);

/* Extracts the plain text of a file. *text (NUL-terminated, valid UTF-8) is freed by the caller
 * with sk_free; *raw_hash is the hash of the file's bytes (for change detection). */
int ground_load_file(const char *path, char **text, size_t *len, uint64_t *raw_hash, sk_err *err);

/* Converts HTML to text (tags dropped, script/style skipped, entities decoded, block tags and
 * <br> become line breaks, <h1>-<h6> become Markdown headings). *out freed with sk_free. */
int ground_html_to_text(const char *html, size_t n, char **out, size_t *out_len, sk_err *err);

typedef enum ground_ingest_status {
  GROUND_INGEST_ADDED = 0,
  GROUND_INGEST_UPDATED,
  GROUND_INGEST_UNCHANGED,
} ground_ingest_status;

/* Ingests one file under the key `path` (callers pass a canonical path): skipped when its hash
 * is unchanged, else its chunks replace the old ones. */
int ground_ingest_file(ground_index *ix, const char *path, ground_ingest_status *status,
                       size_t *n_chunks, sk_err *err);

#endif
