/* claim: only the workers of one daemon may share a listening address.
 *
 * With several workers the listeners share each address through
 * SO_REUSEPORT, and Linux lets any socket of the same user join such a
 * group: a second daemon started with the same interface (by mistake, or
 * a second copy of the service) would bind beside the first and silently
 * take a share of its queries. Two checks before the first socket is bound
 * keep an address to one daemon:
 *  - a lock: an abstract UNIX socket named after the address, held for the
 *    daemon's life. Binding it is atomic and the kernel releases it when
 *    the process ends however it ends (no stale lock file); its namespace
 *    is the network namespace, the same scope as the ports it stands for.
 *    Two portcullis daemons, even started at the same instant, cannot
 *    both hold it;
 *  - a probe: a socket bound to the address without SO_REUSEPORT (and, for
 *    UDP, without SO_REUSEADDR) fails if any socket of any program holds
 *    it, so another resolver is found as well. It is closed right away.
 * What is left: another program (not portcullis) of the same user that
 * binds the address with SO_REUSEPORT in the moment between the probe and
 * the first listener's bind would share it; the probe cannot close that
 * window without keeping the workers out too, and another daemon doing so
 * is what the lock covers. */
#ifndef PC_NET_CLAIM_H
#define PC_NET_CLAIM_H

#include <stddef.h>

struct listen_opts;
struct claim;

/* Before the first listeners are opened: make sure no other process holds
 * any of opts' interfaces, and hold the lock of each for as long as the
 * claim lives. On failure returns a negative PC_E* with one line in err
 * ("cannot listen on ADDR port N (udp|tcp|lock): why"); *out must still be
 * passed to claim_free, which lets the addresses go (call it after the
 * listeners are closed). */
int claim_addrs(struct claim **out, const struct listen_opts *opts, char *err, size_t errlen);
void claim_free(struct claim *k);

#endif
