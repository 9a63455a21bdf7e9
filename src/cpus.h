/*
 * cpus.h - how many CPUs this process may run on.
 */
#ifndef MINT_CPUS_H
#define MINT_CPUS_H

/*
 * The CPUs in this process's affinity mask (else those online), at least
 * 1; counted once, so a later change of the mask is not seen. Callers
 * cap it at what they can use. Thread-safe.
 */
unsigned mint_cpus(void);

#endif
