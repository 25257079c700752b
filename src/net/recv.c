#include "net/recv.h"

#include <string.h>

#define RECV_BATCH 32
#define DGRAM_MAX 65536

void net_recv_all(int fd, net_dgram_fn fn, void *ud)
{
	static _Thread_local uint8_t bufs[RECV_BATCH][DGRAM_MAX];
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_storage from[RECV_BATCH];
	for (;;) {
		for (int i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			fn(ud, bufs[i], msgs[i].msg_len, &from[i], msgs[i].msg_hdr.msg_namelen);
		if (n < RECV_BATCH)
			return;
	}
}
