#!/bin/sh
# datachan.sh: the data-channel benchmarks beside `openssl speed`, medians
# of several runs (the machine may be shared and noisy), and the ratios the
# issue sets as goals: in memory >= 85% of raw AEAD speed, through UDP
# sockets >= 50% of it.
#
# The primary baseline is the TLS-like record loop of `openssl speed -aead`
# (per record: IV length, key and IV, 13 bytes of AAD, payload, final), the
# fair reference for a protocol that seals every packet on its own.
# OpenSSL 3.0 runs that loop only for GCM, CCM, OCB and SIV modes: for
# ChaCha20-Poly1305, `openssl speed -aead` and `-evp` both time one endless
# message (one EVP_EncryptUpdate() per buffer, no nonce, no tag), so its
# record loop comes from bench_datachan (mode=tls, the same calls; for
# AES-GCM that copy is printed beside OpenSSL's figure as a check).  The
# plain `openssl speed -evp` figure stays beside it: for AES-GCM it is the
# record loop without AAD, for ChaCha20-Poly1305 the stream.
#
#   tests/bench/datachan.sh [RUNS] [SECONDS]      (defaults: 3 runs, 1 s)
#
# Uses tests/bench/bench_datachan and tests/bench/bench_udp from $BENCH_DIR
# (default: the build tree's tests/bench) when they exist, else builds them
# with cc -O2 into a temporary directory.  Talks to 127.0.0.1 only.
set -eu

RUNS=${1:-3}
SECS=${2:-1}
PAYLOAD=1400
SPEED_SECS=${SPEED_SECS:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-tests/bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

build() {
	if [ -x "$BENCH_DIR/bench_datachan" ] && [ -x "$BENCH_DIR/bench_udp" ]; then
		DC=$BENCH_DIR/bench_datachan
		UDP=$BENCH_DIR/bench_udp
		return
	fi
	echo "building the benchmarks with ${CC:-cc} -O2 in $tmp" >&2
	src="$top/transport/natt.c $top/transport/wire.c $top/transport/wire_body.c
	     $top/transport/replay.c
	     $top/transport/datachan.c $top/transport/loop.c $top/transport/loop_udp.c"
	libs="$(pkg-config --libs libevent libevent_pthreads) -lcrypto -lpthread"
	# shellcheck disable=SC2086
	${CC:-cc} -std=gnu11 -O2 -I"$top/transport" -o "$tmp/bench_datachan" \
		"$top/tests/bench/bench_datachan.c" $src $libs
	# shellcheck disable=SC2086
	${CC:-cc} -std=gnu11 -O2 -I"$top/transport" -o "$tmp/bench_udp" \
		"$top/tests/bench/bench_udp.c" $src $libs
	DC=$tmp/bench_datachan
	UDP=$tmp/bench_udp
}

# speed NAME [-aead]: the bytes per second `openssl speed -evp NAME` reports
# for PAYLOAD bytes (its last line: "NAME  1234567.89k", in 1000s of bytes
# per second).
speed() {
	# shellcheck disable=SC2086
	openssl speed ${2:-} -evp "$1" -bytes "$PAYLOAD" -seconds "$SPEED_SECS" 2>/dev/null |
		tail -n 1 | awk '{ v = $NF; sub(/k$/, "", v); printf "%.0f\n", v * 1000 }'
}

# med FILE MODE CIPHER FIELD: median of FIELD over the lines of MODE/CIPHER.
med() {
	grep "^mode=$2 cipher=$3 " "$1" |
		tr ' ' '\n' | sed -n "s/^$4=//p" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
			else if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "nan" }'
}

mb() {
	awk -v a="$1" 'BEGIN { printf "%.0f", a / 1e6 }'
}

build
for i in $(seq "$RUNS"); do
	echo "run $i/$RUNS" >&2
	"$DC" "$SECS" "$PAYLOAD" >>"$tmp/dc.txt"
	"$UDP" "$SECS" "$PAYLOAD" >>"$tmp/udp.txt"
	for c in aes-256-gcm chacha20-poly1305; do
		C=$(echo "$c" | tr '[:lower:]' '[:upper:]')
		echo "mode=speed cipher=$C bytes=$(speed "$c")" >>"$tmp/speed.txt"
		echo "mode=aead cipher=$C bytes=$(speed "$c" -aead)" >>"$tmp/speed.txt"
	done
done

# rec CIPHER: the record loop's bytes per second, primary baseline.
rec() {
	case $1 in
	AES-256-GCM) med "$tmp/speed.txt" aead "$1" bytes ;;
	*) med "$tmp/dc.txt" tls "$1" aead_bytes_per_s ;;
	esac
}

# rec_src CIPHER: where rec's figure comes from.
rec_src() {
	case $1 in
	AES-256-GCM)
		echo "openssl speed -aead; bench copy $(mb "$(med "$tmp/dc.txt" tls "$1" \
			aead_bytes_per_s)")" ;;
	*)
		echo "bench copy; openssl speed -aead $(mb "$(med "$tmp/speed.txt" aead "$1" \
			bytes)") is its stream loop here" ;;
	esac
}

echo
echo "openvpn-natt data channel, payload $PAYLOAD bytes, median of $RUNS runs of ${SECS} s"
echo "(MB/s are AEAD bytes per CPU-second of the working thread, as openssl speed counts)"
echo
echo "in memory, one core (bench_datachan):"
echo "  (record loop: openssl speed -aead's per-record sequence, the primary baseline)"
for c in AES-256-GCM CHACHA20-POLY1305; do
	rc=$(rec "$c")
	sp=$(med "$tmp/speed.txt" speed "$c" bytes)
	raw=$(med "$tmp/dc.txt" raw "$c" aead_bytes_per_s)
	bare=$(med "$tmp/dc.txt" aead "$c" aead_bytes_per_s)
	seal=$(med "$tmp/dc.txt" seal "$c" aead_bytes_per_s)
	pair=$(med "$tmp/dc.txt" pair "$c" aead_bytes_per_s)
	printf '  %-18s record loop %5s MB/s (%s)\n' "$c" "$(mb "$rc")" "$(rec_src "$c")"
	printf '  %-18s openssl speed -evp %5s | raw stream %5s | bare EVP packet %5s\n' \
		"" "$(mb "$sp")" "$(mb "$raw")" "$(mb "$bare")"
	printf '  %-18s seal %5s MB/s = %s Gbit/s, %s pkt/s | seal+open %5s MB/s = %s pkt/s\n' \
		"" "$(mb "$seal")" "$(med "$tmp/dc.txt" seal "$c" gbit_per_s)" \
		"$(med "$tmp/dc.txt" seal "$c" pkts_per_s)" "$(mb "$pair")" \
		"$(med "$tmp/dc.txt" pair "$c" pkts_per_s)"
	printf '  %-18s ratio to record loop: seal %s, seal+open %s (goal >= 0.85)\n' \
		"" "$(ratio "$seal" "$rc")" "$(ratio "$pair" "$rc")"
	printf '  %-18s seal to openssl speed -evp %s, to raw stream %s, to bare EVP packet %s\n' \
		"" "$(ratio "$seal" "$sp")" "$(ratio "$seal" "$raw")" "$(ratio "$seal" "$bare")"
	printf '  %-18s OpenSSL allocations during seal+open: %s in %s packets\n' "" \
		"$(med "$tmp/dc.txt" allocs "$c" openssl_allocs)" \
		"$(med "$tmp/dc.txt" allocs "$c" packets)"
done
echo
echo "UDP on loopback, sender and receiver threads (bench_udp):"
echo "  (Gbit/s: payload opened per wall second; cpu-bound: per CPU-second of the busier thread)"
for m in plain mmsg gso; do
	for c in AES-256-GCM CHACHA20-POLY1305 none; do
		gb=$(med "$tmp/udp.txt" "$m" "$c" gbit_per_s)
		cb=$(med "$tmp/udp.txt" "$m" "$c" cpu_bound_bytes_per_s)
		loss=$(med "$tmp/udp.txt" "$m" "$c" loss)
		line=$(printf '  %-5s %-18s %6s Gbit/s  cpu-bound %5s MB/s  loss %s' "$m" "$c" \
			"$gb" "$(mb "$cb")" "$loss")
		if [ "$c" != none ]; then
			sp=$(med "$tmp/speed.txt" speed "$c" bytes)
			line="$line  ratio to record loop $(ratio "$cb" "$(rec "$c")") (goal >= 0.50)"
			line="$line, to openssl speed -evp $(ratio "$cb" "$sp")"
		fi
		echo "$line"
	done
done
