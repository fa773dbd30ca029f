/* A growing text buffer for /proc files; see kernel-sim/seq_file.h. */
#include "kernel-sim/seq_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/bug.h"

void seq_init(struct seq_file *m)
{
	m->size = 4096;
	m->count = 0;
	m->buf = malloc(m->size);
	BUG_ON(!m->buf);
	m->buf[0] = '\0';
}

void seq_release(struct seq_file *m)
{
	free(m->buf);
	m->buf = NULL;
	m->count = m->size = 0;
}

static void seq_reserve(struct seq_file *m, size_t more)
{
	if (m->count + more + 1 <= m->size)
		return;
	while (m->count + more + 1 > m->size)
		m->size *= 2;
	m->buf = realloc(m->buf, m->size);
	BUG_ON(!m->buf);
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	BUG_ON(n < 0);
	seq_reserve(m, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(m->buf + m->count, (size_t)n + 1, fmt, ap);
	va_end(ap);
	m->count += (size_t)n;
}

void seq_puts(struct seq_file *m, const char *s)
{
	size_t n = strlen(s);
	seq_reserve(m, n);
	memcpy(m->buf + m->count, s, n + 1);
	m->count += n;
}

void seq_putc(struct seq_file *m, char c)
{
	seq_reserve(m, 1);
	m->buf[m->count++] = c;
	m->buf[m->count] = '\0';
}
