# natt.m4: openvpn-natt's own autoconf macros.

# NATT_REQUIRE_PKG(VARIABLE-PREFIX, MODULES, DEBIAN-PACKAGE)
# pkg-config check that stops configure with the package to install.
AC_DEFUN([NATT_REQUIRE_PKG], [
	PKG_CHECK_MODULES([$1], [$2], [],
		[AC_MSG_ERROR([$2 not found ($$1_PKG_ERRORS).
On Debian: apt-get install $3])])
])

# NATT_FIND_OPENVPN_PLUGIN_H(DIR)
# Finds openvpn-plugin.h in DIR (if given) or the usual places; sets and
# substitutes OPENVPN_PLUGIN_CPPFLAGS.
AC_DEFUN([NATT_FIND_OPENVPN_PLUGIN_H], [
	AC_MSG_CHECKING([for openvpn-plugin.h])
	OPENVPN_PLUGIN_CPPFLAGS=
	natt_found=no
	AS_IF([test -n "$1"], [natt_dirs="$1"], [natt_dirs="/usr/include/openvpn /usr/local/include/openvpn /usr/include /usr/local/include"])
	for natt_dir in $natt_dirs; do
		AS_IF([test -f "$natt_dir/openvpn-plugin.h"], [
			OPENVPN_PLUGIN_CPPFLAGS="-I$natt_dir"
			natt_found=yes
			break
		])
	done
	AC_MSG_RESULT([$natt_found${OPENVPN_PLUGIN_CPPFLAGS:+ ($OPENVPN_PLUGIN_CPPFLAGS)}])
	AS_IF([test "x$natt_found" != xyes], [
		AS_IF([test -n "$1"],
			[AC_MSG_ERROR([openvpn-plugin.h not found in $1 (--with-openvpn-include)])],
			[AC_MSG_ERROR([openvpn-plugin.h not found.
On Debian: apt-get install openvpn (it ships /usr/include/openvpn/openvpn-plugin.h),
or point --with-openvpn-include=DIR at the directory holding it])])
	])
	natt_save_CPPFLAGS="$CPPFLAGS"
	CPPFLAGS="$CPPFLAGS $OPENVPN_PLUGIN_CPPFLAGS"
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <openvpn-plugin.h>]],
		[[int v = OPENVPN_PLUGINv3_STRUCTVER; (void)v;]])], [],
		[AC_MSG_ERROR([openvpn-plugin.h found but has no plugin API v3 (OpenVPN >= 2.3 needed)])])
	CPPFLAGS="$natt_save_CPPFLAGS"
	AC_SUBST([OPENVPN_PLUGIN_CPPFLAGS])
])

# NATT_DEBIAN_PLUGINDIR(VARIABLE)
# The directory Debian's openvpn package loads plugins from.
AC_DEFUN([NATT_DEBIAN_PLUGINDIR], [
	natt_multiarch=`$CC -print-multiarch 2>/dev/null`
	AS_IF([test -n "$natt_multiarch"],
		[$1="/usr/lib/$natt_multiarch/openvpn/plugins"],
		[$1="/usr/lib/openvpn/plugins"])
])

# NATT_CHECK_LIBFUZZER(CLANG)
AC_DEFUN([NATT_CHECK_LIBFUZZER], [
	AC_MSG_CHECKING([whether $1 links libFuzzer targets])
	cat > conftest_fuzz.c <<'_NATT_EOF'
#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
_NATT_EOF
	AS_IF([$1 -fsanitize=fuzzer,address conftest_fuzz.c -o conftest_fuzz >&AS_MESSAGE_LOG_FD 2>&1],
		[AC_MSG_RESULT([yes])],
		[AC_MSG_RESULT([no])
		 AC_MSG_ERROR([$1 cannot link -fsanitize=fuzzer: apt-get install libclang-rt-14-dev])])
	rm -f conftest_fuzz.c conftest_fuzz
])

# NATT_CHECK_PTHREAD: sets and substitutes PTHREAD_CFLAGS (-pthread).
AC_DEFUN([NATT_CHECK_PTHREAD], [
	AC_MSG_CHECKING([whether $CC accepts -pthread])
	natt_save_CFLAGS="$CFLAGS"
	CFLAGS="$CFLAGS -pthread"
	AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pthread.h>
static void *f(void *a) { return a; }]],
		[[pthread_t t; pthread_create(&t, 0, f, 0); pthread_join(t, 0);]])],
		[AC_MSG_RESULT([yes]); PTHREAD_CFLAGS=-pthread],
		[AC_MSG_RESULT([no]); AC_MSG_ERROR([POSIX threads (-pthread) not available])])
	CFLAGS="$natt_save_CFLAGS"
	AC_SUBST([PTHREAD_CFLAGS])
])
