/*
 * The kernel log, as Linux's printk ring buffer: every message with its level and the time
 * since boot ("[    0.000000] Zone ranges:"), read back by dmesg. Time is the machine's
 * virtual time, so a run's log is the same every time.
 */
#ifndef KSIM_PRINTK_H
#define KSIM_PRINTK_H

#include <stddef.h>
#include <stdint.h>

#include "kernel-sim/seq_file.h"

struct kernel;

#define KERN_EMERG 0
#define KERN_ALERT 1
#define KERN_CRIT 2
#define KERN_ERR 3
#define KERN_WARNING 4
#define KERN_NOTICE 5
#define KERN_INFO 6
#define KERN_DEBUG 7

#define LOG_BUF_LEN (256 * 1024) /* bytes of text kept; the oldest lines are dropped */

struct printk_log {
	char *buf;          /* lines "<level>[seconds.micros] text\n", host heap */
	size_t len;         /* bytes used */
	uint64_t dropped;   /* lines dropped when the buffer was full */
};

/* Appends one message (a trailing newline is added if missing). */
void printk(struct kernel *k, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The log as dmesg prints it: "[    0.000000] text" per line. */
void dmesg_show(struct seq_file *m, struct kernel *k);
void printk_free(struct kernel *k);

#endif /* KSIM_PRINTK_H */
