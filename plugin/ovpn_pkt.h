/*
 * ovpn_pkt.h: the little the bridge needs to know about OpenVPN's own
 * packets, read from the clear header every OpenVPN 2.x packet starts with
 * (OpenVPN's ssl_pkt.h; the same in plain, tls-auth and tls-crypt modes):
 *
 *   byte 0      opcode << 3 | key_id
 *   bytes 1-8   the sender's session ID (control packets)
 *
 * Why: a server peer's loopback port is stable for the transport session's
 * life, but an OpenVPN client that restarts (SIGUSR1, ping-restart, a
 * server-pushed RESTART) opens a new socket and, over plain UDP, would
 * reach the server from a new port.  OpenVPN's server relies on that: while
 * it shuts down it ignores unknown addresses, but would take a new session
 * from a known one into the instance that is about to vanish.  So the bridge
 * gives a peer a fresh loopback port when a client hard reset with a new
 * session ID arrives (retransmissions of the same one keep the port).
 */
#ifndef NATT_PLUGIN_OVPN_PKT_H
#define NATT_PLUGIN_OVPN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NATT_OVPN_OPCODE_SHIFT	       3  /* ssl_pkt.h P_OPCODE_SHIFT */
#define NATT_OVPN_HARD_RESET_CLIENT_V1 1  /* ssl_pkt.h P_CONTROL_HARD_RESET_CLIENT_V1 */
#define NATT_OVPN_HARD_RESET_CLIENT_V2 7  /* ssl_pkt.h P_CONTROL_HARD_RESET_CLIENT_V2 */
#define NATT_OVPN_HARD_RESET_CLIENT_V3 10 /* ssl_pkt.h P_CONTROL_HARD_RESET_CLIENT_V3 */
#define NATT_OVPN_SID_LEN	       8  /* ssl_pkt.h SID_SIZE */

/*
 * True when pkt (len bytes) is a client's hard reset (the first packet of a
 * new OpenVPN session); its session ID goes to sid.
 */
bool natt_ovpn_client_hard_reset(const uint8_t *pkt, size_t len, uint8_t sid[NATT_OVPN_SID_LEN]);

#endif
