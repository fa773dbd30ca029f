/* errno names (ENOENT, ...) by number. */
#ifndef KSIM_ERRNO_NAMES_H
#define KSIM_ERRNO_NAMES_H

#define NR_ERRNO_NAMES 134

extern const char *const errno_names[NR_ERRNO_NAMES];

#endif /* KSIM_ERRNO_NAMES_H */
