/* The kernel log; see kernel-sim/printk.h. */
#include "kernel-sim/printk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/kernel.h"

/* Drops whole lines from the front until need more bytes fit. */
static void make_room(struct printk_log *log, size_t need)
{
	size_t drop = 0;
	while (log->len - drop + need > LOG_BUF_LEN && drop < log->len) {
		char *nl = memchr(log->buf + drop, '\n', log->len - drop);
		drop = nl ? (size_t)(nl - log->buf) + 1 : log->len;
		log->dropped++;
	}
	memmove(log->buf, log->buf + drop, log->len - drop);
	log->len -= drop;
}

void printk(struct kernel *k, int level, const char *fmt, ...)
{
	struct printk_log *log = &k->log;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t tlen = strlen(text);
	while (tlen && text[tlen - 1] == '\n')
		text[--tlen] = '\0';
	uint64_t ns = k->now_ns;
	char line[1200];
	int len = snprintf(line, sizeof(line), "<%d>[%5llu.%06llu] %s\n", level,
			   (unsigned long long)(ns / 1000000000ULL),
			   (unsigned long long)(ns % 1000000000ULL / 1000), text);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	if (!log->buf && !(log->buf = malloc(LOG_BUF_LEN)))
		return;
	make_room(log, (size_t)len);
	memcpy(log->buf + log->len, line, (size_t)len);
	log->len += (size_t)len;
}

void dmesg_show(struct seq_file *m, struct kernel *k)
{
	const char *p = k->log.buf, *end = p + k->log.len;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *text = memchr(p, '>', (size_t)(nl - p));
		text = text ? text + 1 : p;
		seq_printf(m, "%.*s\n", (int)(nl - text), text);
		p = nl + 1;
	}
}

void printk_free(struct kernel *k)
{
	free(k->log.buf);
	k->log.buf = NULL;
	k->log.len = 0;
}
