/*
 * Our own bugs stop the program loudly with file and line. Nothing a guest does may reach
 * one of these: guest-caused conditions are faults or errno values, never BUG_ON.
 */
#ifndef KSIM_BUG_H
#define KSIM_BUG_H

#include <stdbool.h>

_Noreturn void ksim_bug(const char *file, int line, const char *cond);
void ksim_warn(const char *file, int line, const char *cond);

#define BUG() ksim_bug(__FILE__, __LINE__, "BUG")
#define BUG_ON(cond)                                                                           \
	do {                                                                                   \
		if (__builtin_expect(!!(cond), 0))                                             \
			ksim_bug(__FILE__, __LINE__, #cond);                                   \
	} while (0)
#define WARN_ON(cond)                                                                          \
	({                                                                                     \
		bool __w = !!(cond);                                                           \
		if (__builtin_expect(__w, 0))                                                  \
			ksim_warn(__FILE__, __LINE__, #cond);                                  \
		__w;                                                                           \
	})

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif /* KSIM_BUG_H */
