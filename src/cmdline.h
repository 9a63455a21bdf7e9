/*
 * cmdline.h - what the two commands, mintfs and mintctl, share on their
 * command lines: the version, the default store, sizes with suffixes.
 */
#ifndef MINT_CMDLINE_H
#define MINT_CMDLINE_H

#define MINT_VERSION "0.1.0"

/*
 * $XDG_DATA_HOME/mintfs, else ~/.local/share/mintfs; malloc'd (caller
 * frees), or NULL when neither variable is usable or on -ENOMEM.
 */
char *mint_default_store(void);

/*
 * "256M" -> bytes: decimal digits, then an optional K, M or G (binary;
 * "KiB"/"MB" forms accepted). 0, or -EINVAL for anything else, a negative
 * number or an overflow.
 */
int mint_parse_size(const char *s, unsigned long long *out);

#endif
