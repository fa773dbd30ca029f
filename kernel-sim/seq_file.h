/*
 * seq_file: a growing text buffer that /proc files are printed into, as Linux's
 * <linux/seq_file.h>. The same text serves the CLI (mmemu info) and, later, a guest's read()
 * of /proc.
 */
#ifndef KSIM_SEQ_FILE_H
#define KSIM_SEQ_FILE_H

#include <stddef.h>

struct seq_file {
	char *buf;    /* NUL-terminated text so far (host heap) */
	size_t count; /* bytes of text */
	size_t size;  /* bytes allocated */
};

void seq_init(struct seq_file *m);
void seq_release(struct seq_file *m);
void seq_printf(struct seq_file *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seq_puts(struct seq_file *m, const char *s);
void seq_putc(struct seq_file *m, char c);

#endif /* KSIM_SEQ_FILE_H */
