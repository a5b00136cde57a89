#!/bin/sh
# make-pki.sh DIR [ec|rsa]: a throw-away test PKI for the tls suite, made with
# the openssl command line and nothing else (no network).  Every key is fresh;
# none is ever committed.  Keys are ECDSA P-256 by default ("rsa": RSA-2048,
# the common OpenVPN easy-rsa choice, for measurements).
#
# DIR receives (all PEM; NAME.crt and NAME.key for each end-entity):
#   ca.crt            root CA "natt test CA", valid 2000-2099
#   inter.crt         intermediate CA under ca
#   other-ca.crt      an unrelated root CA
#   server            CN=server, SAN DNS:vpn.natt.test, EKU serverAuth
#   client            CN=client, EKU clientAuth
#   client-chain      CN=client-chain, issued by inter; the .crt holds leaf + inter
#   client-expired    CN=client-expired, valid 2020-01-01 .. 2021-01-01
#   client-future     CN=client-future, valid 2098-01-01 .. 2099-01-01
#   client-rogue      CN=client-rogue, issued by other-ca
#   client-noeku      CN=client-noeku, no extended key usage at all
#   client-noku       CN=client-noku, EKU clientAuth but no key usage extension
# DIR/ca-work/ holds the requests and the databases openssl ca needs.
set -eu

dir=${1:?usage: make-pki.sh DIR [ec|rsa]}
keytype=${2:-ec}
work=$dir/ca-work
mkdir -p "$work"
# ca.cnf takes the CA database paths from these (set per issuer by sign()).
export NATT_PKI_DB=/nonexistent NATT_PKI_NEW=/nonexistent NATT_PKI_SERIAL=/nonexistent

genkey() { # genkey FILE
	case $keytype in
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
	*) echo "make-pki.sh: key type must be ec or rsa, not $keytype" >&2; exit 2 ;;
	esac
	chmod 600 "$1"
}

cat >"$work/ca.cnf" <<'EOF'
[ca]
default_ca = natt_ca
[natt_ca]
database = $ENV::NATT_PKI_DB
new_certs_dir = $ENV::NATT_PKI_NEW
serial = $ENV::NATT_PKI_SERIAL
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = no
[any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:vpn.natt.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[noeku_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[noku_ext]
basicConstraints = CA:false
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# sign NAME CN ISSUER EXT START END: key, request, certificate from ISSUER
# (ISSUER "self" makes a self-signed root).
sign() {
	name=$1 cn=$2 issuer=$3 ext=$4 start=$5 end=$6
	genkey "$dir/$name.key"
	openssl req -new -config "$work/ca.cnf" -key "$dir/$name.key" -subj "/CN=$cn" \
		-out "$work/$name.csr"
	: >"$work/$name.db" # every certificate can issue: give it a CA database
	echo 01 >"$work/$name.serial"
	[ "$issuer" != self ] || issuer=$name
	NATT_PKI_DB="$work/$issuer.db" NATT_PKI_NEW="$work" NATT_PKI_SERIAL="$work/$issuer.serial"
	if [ "$issuer" = "$name" ]; then
		set -- -selfsign -keyfile "$dir/$name.key"
	else
		set -- -cert "$dir/$issuer.crt" -keyfile "$dir/$issuer.key"
	fi
	openssl ca -batch -notext -config "$work/ca.cnf" "$@" -extensions "$ext" \
		-startdate "$start" -enddate "$end" -in "$work/$name.csr" \
		-out "$dir/$name.crt" 2>/dev/null
}

always_s=20000101000000Z
always_e=20991231235959Z
sign ca "natt test CA" self ca_ext $always_s $always_e
sign inter "natt test intermediate CA" ca ca_ext $always_s $always_e
sign other-ca "natt other CA" self ca_ext $always_s $always_e
sign server server ca server_ext $always_s $always_e
sign client client ca client_ext $always_s $always_e
sign client-chain client-chain inter client_ext $always_s $always_e
sign client-expired client-expired ca client_ext 20200101000000Z 20210101000000Z
sign client-future client-future ca client_ext 20980101000000Z 20990101000000Z
sign client-rogue client-rogue other-ca client_ext $always_s $always_e
sign client-noeku client-noeku ca noeku_ext $always_s $always_e
sign client-noku client-noku ca noku_ext $always_s $always_e

cat "$dir/inter.crt" >>"$dir/client-chain.crt"
