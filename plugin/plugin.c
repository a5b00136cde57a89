/*
 * plugin.c: OpenVPN plugin API v3 entry points of openvpn-plugin-natt.so.
 *
 * open: re-attach to a running helper (OpenVPN re-opens plugins on SIGHUP),
 * or read and check the whole configuration, load the network key and fork
 * the helper: a supervisor (supervisor.h) whose worker runs the transport
 * (runtime.h), failing OpenVPN's start with one line when anything is
 * wrong.
 * func (PLUGIN_UP): checks the tun MTU OpenVPN actually uses.
 * close: detaches; the helper decides whether OpenVPN is restarting.
 * Only these functions call OpenVPN's log callback, on OpenVPN's thread.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <openvpn-plugin.h>

#include "pconf.h"
#include "helper.h"
#include "keyfile.h"
#include "log.h"
#include "mtu.h"
#include "runtime.h"
#include "supervisor.h"

struct handle {
	struct natt_helper helper;
	unsigned path_mtu; /* 0: unknown (re-attached), no MTU check at UP */
	bool compress;
};

static const char *env_get(const char *const *envp, const char *key)
{
	size_t n = strlen(key);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, key, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static int openvpn_verb(const char *const *envp)
{
	const char *v = env_get(envp, "verb");

	return v != NULL ? atoi(v) : 1;
}

static int read_config(struct natt_pconf *c, const char **argv, char *err, size_t errlen)
{
	int first = 1, rc = NATT_OK;

	if (argv[1] == NULL) {
		snprintf(err, errlen,
			 "the plugin line needs a config file: plugin %s FILE"
			 " [key=value ...]",
			 argv[0]);
		return NATT_ERR_INVALID;
	}
	if (strchr(argv[1], '=') == NULL) {
		rc = natt_pconf_load(c, argv[1], err, errlen);
		first = 2;
	} else {
		snprintf(c->file, sizeof(c->file), "the plugin line");
	}
	for (int i = first; rc == NATT_OK && argv[i] != NULL; i++)
		rc = natt_pconf_override(c, argv[i], i, err, errlen);
	return rc;
}

static int load_key(const struct natt_pconf *c, uint8_t key[NATT_KEY_LEN], char *err, size_t errlen)
{
	enum natt_key_kind kind;
	char msg[512], warn[512];
	int rc = natt_keyfile_load(c->network_key.path, &kind, key, msg, sizeof(msg), warn,
				   sizeof(warn));

	if (rc != NATT_OK) {
		snprintf(err, errlen, "%s: network-key: %s", c->network_key.where, msg);
		return rc;
	}
	if (kind != NATT_KEY_NETWORK) {
		snprintf(err, errlen,
			 "%.300s: network-key: %.500s holds a rendezvous key, not the network"
			 " key",
			 c->network_key.where, c->network_key.path);
		return NATT_ERR_INVALID;
	}
	if (warn[0] != '\0')
		natt_plog(NATT_PLOG_WARN, "%s: network-key: %s", c->network_key.where, warn);
	return NATT_OK;
}

static int configure(struct natt_pconf *c, const char **argv, const char *const *envp, char *err,
		     size_t errlen)
{
	char warn[512];
	int rc = read_config(c, argv, err, errlen);

	if (rc != NATT_OK)
		return rc;
	natt_pconf_learn_openvpn(c, envp, warn, sizeof(warn));
	if (warn[0] != '\0')
		natt_plog(NATT_PLOG_WARN, "%s", warn);
	natt_plog_set_verb(c->verb);
	rc = natt_pconf_check(c, err, errlen);
	if (rc == NATT_OK)
		rc = natt_pconf_runas(c, err, errlen);
	if (rc == NATT_OK && !c->runas.drop)
		natt_plog(NATT_PLOG_NOTE,
			  "the transport worker keeps root: neither 'user' nor 'group' is set"
			  " (in %s or in OpenVPN's config file)",
			  c->file);
	return rc;
}

static bool daemon_without_log(const char *const *envp)
{
	const char *d = env_get(envp, "daemon"), *r = env_get(envp, "daemon_log_redirect");

	return d != NULL && strcmp(d, "1") == 0 && (r == NULL || strcmp(r, "1") != 0);
}

static int start(struct handle *h, struct natt_pconf *c, const char *const *envp)
{
	struct natt_runtime_args a = {.conf = c, .use_syslog = daemon_without_log(envp)};
	struct natt_supervisor_args s = {
		.worker = natt_runtime_main,
		.worker_arg = &a,
		.verb = c->verb,
		.use_syslog = a.use_syslog,
	};
	char msg[NATT_HELPER_MSG_MAX];
	int rc = load_key(c, a.network_key, msg, sizeof(msg));

	if (rc == NATT_OK)
		rc = natt_helper_start(&h->helper, natt_supervisor_main, &s, msg, sizeof(msg));
	OPENSSL_cleanse(a.network_key, sizeof(a.network_key));
	if (rc != NATT_OK) {
		natt_plog(NATT_PLOG_ERR, "%s", msg);
		return rc;
	}
	h->path_mtu = c->path_mtu;
	h->compress = c->ov_mtu.compress;
	natt_plog(NATT_PLOG_NOTE, "%s %s: transport helper pid %d ready, %s; OpenVPN side %s:%u",
		  natt_prole_name(c->role), c->name, (int)h->helper.pid, msg, c->openvpn_host,
		  c->openvpn_port);
	return NATT_OK;
}

OPENVPN_EXPORT int openvpn_plugin_min_version_required_v1(void)
{
	return 3;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int version,
					  struct openvpn_plugin_args_open_in const *args,
					  struct openvpn_plugin_args_open_return *ret)
{
	const char *const *envp = (const char *const *)args->envp;
	struct handle *h;
	struct natt_pconf *c;
	char err[1024];
	int rc;

	(void)version;
	ret->type_mask = 0;
	natt_plog_to_openvpn(args->callbacks, openvpn_verb(envp));
	h = calloc(1, sizeof(*h));
	c = malloc(sizeof(*c));
	if (h == NULL || c == NULL) {
		free(h);
		free(c);
		return OPENVPN_PLUGIN_FUNC_ERROR;
	}
	if (natt_helper_attach(&h->helper) == NATT_OK) {
		natt_plog(NATT_PLOG_NOTE,
			  "re-attached to the transport helper pid %d: sessions kept",
			  (int)h->helper.pid);
		rc = NATT_OK;
	} else {
		natt_pconf_init(c);
		rc = configure(c, (const char **)args->argv, envp, err, sizeof(err));
		if (rc != NATT_OK)
			natt_plog(NATT_PLOG_ERR, "%s", err);
		else
			rc = start(h, c, envp);
	}
	free(c);
	if (rc != NATT_OK) {
		free(h);
		return OPENVPN_PLUGIN_FUNC_ERROR;
	}
	ret->type_mask = OPENVPN_PLUGIN_MASK(OPENVPN_PLUGIN_UP);
	ret->handle = h;
	return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

/* The helper (the supervisor) has ended: killed, or it could not go on.  A
 * worker's crash does not end it (it starts a new worker); this does, and
 * OpenVPN must not run on without its transport.  Only noticed when
 * OpenVPN calls the plugin. */
static bool helper_gone(const struct handle *h)
{
	int st;

	return h->helper.pid > 0 && waitpid(h->helper.pid, &st, WNOHANG) == h->helper.pid;
}

/* PLUGIN_UP's argv: [0] plugin, [1] device, [2] tun MTU, [3] link MTU, ... */
static int check_up(const struct handle *h, const char **argv)
{
	struct natt_mtu_openvpn ov = {.compress = h->compress};
	char msg[512];
	int i = 0;

	if (helper_gone(h)) {
		natt_plog(NATT_PLOG_ERR, "the transport helper (pid %d) has ended: restart OpenVPN",
			  (int)h->helper.pid);
		return OPENVPN_PLUGIN_FUNC_ERROR;
	}

	while (argv[i] != NULL && i < 3)
		i++;
	if (h->path_mtu == 0 || i < 3)
		return OPENVPN_PLUGIN_FUNC_SUCCESS;
	ov.tun_mtu = (unsigned)atoi(argv[2]);
	if (ov.tun_mtu == 0 || natt_mtu_check(h->path_mtu, &ov, msg, sizeof(msg)) == 0)
		return OPENVPN_PLUGIN_FUNC_SUCCESS;
	natt_plog(NATT_PLOG_ERR, "device %s: %s", argv[1], msg);
	return OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int version,
					  struct openvpn_plugin_args_func_in const *args,
					  struct openvpn_plugin_args_func_return *ret)
{
	(void)version;
	(void)ret;
	if (args->type == OPENVPN_PLUGIN_UP)
		return check_up(args->handle, (const char **)args->argv);
	return OPENVPN_PLUGIN_FUNC_SUCCESS;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
	struct handle *h = handle;

	natt_helper_detach(&h->helper);
	free(h);
}
