/*
 * plugin.c: OpenVPN plugin API v3 entry points of openvpn-plugin-natt.so.
 *
 * The transport behind these entry points is not in this release yet (see
 * README "Status"), so the plugin refuses to load: OpenVPN must never start
 * silently without the transport its configuration asks for.
 */
#include <string.h>

#include <openvpn-plugin.h>

#define PLUGIN_NAME "openvpn-plugin-natt"

OPENVPN_EXPORT int openvpn_plugin_min_version_required_v1(void)
{
	return 3;
}

OPENVPN_EXPORT int openvpn_plugin_open_v3(const int version,
					  struct openvpn_plugin_args_open_in const *args,
					  struct openvpn_plugin_args_open_return *ret)
{
	(void)version;
	(void)ret;
	args->callbacks->plugin_log(PLOG_ERR, PLUGIN_NAME,
				    "this build of openvpn-natt has no transport yet; "
				    "refusing to start rather than run without it");
	return OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT int openvpn_plugin_func_v3(const int version,
					  struct openvpn_plugin_args_func_in const *args,
					  struct openvpn_plugin_args_func_return *ret)
{
	(void)version;
	(void)args;
	(void)ret;
	return OPENVPN_PLUGIN_FUNC_ERROR;
}

OPENVPN_EXPORT void openvpn_plugin_close_v1(openvpn_plugin_handle_t handle)
{
	(void)handle;
}
