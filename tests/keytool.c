/*
 * keytool.c: test helper (not installed) for scripted tests of key files.
 *
 *   keytool genkey FILE   create FILE with a fresh network key (never overwrites)
 *   keytool show FILE     print "network-id <16 hex>" of the key in FILE
 *
 * Exit status: 0 success, 1 failure (message on stderr), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyfile.h"
#include "seal.h"

static int usage(void)
{
	fprintf(stderr, "usage: keytool genkey FILE | keytool show FILE\n");
	return 2;
}

static int genkey(const char *path)
{
	char err[512];

	if (natt_keyfile_generate(path, err, sizeof(err)) != NATT_OK) {
		fprintf(stderr, "keytool: %s\n", err);
		return 1;
	}
	return 0;
}

static int show(const char *path)
{
	uint8_t key[NATT_KEY_LEN], id[NATT_NETWORK_ID_LEN];
	char err[512], warn[512];
	enum natt_key_kind kind;
	struct natt_seal *s = NULL;
	int rc;

	rc = natt_keyfile_load(path, &kind, key, err, sizeof(err), warn, sizeof(warn));
	if (rc != NATT_OK) {
		fprintf(stderr, "keytool: %s\n", err);
		return 1;
	}
	if (warn[0] != '\0')
		fprintf(stderr, "keytool: warning: %s\n", warn);
	if (kind == NATT_KEY_NETWORK)
		rc = natt_seal_new(&s, key);
	else
		rc = natt_seal_new_rendezvous(&s, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != NATT_OK) {
		fprintf(stderr, "keytool: %s: %s\n", path, natt_strerror(rc));
		return 1;
	}
	natt_seal_network_id(s, id);
	natt_seal_free(s);
	printf("network-id ");
	for (int i = 0; i < NATT_NETWORK_ID_LEN; i++)
		printf("%02x", id[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return usage();
	if (strcmp(argv[1], "genkey") == 0)
		return genkey(argv[2]);
	if (strcmp(argv[1], "show") == 0)
		return show(argv[2]);
	return usage();
}
