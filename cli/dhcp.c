/*
 * prov phone dhcp: learn the provisioning server's DHCP options once
 * (DHCPINFORM on an interface, or given on the command line), store them
 * in the device status, and print them (device.md D-ONB-1). The agent
 * (`prov phone run --dhcp-inform IFACE --dhcp-option N=VALUE`) does the
 * same at start through phone/dhcp.h.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcp.h"


static const char dhcp_help[] =
"usage: prov phone dhcp --state DIR [--iface IFACE] [--dhcp-option N=VALUE ...]\n"
"\n"
"Where the provisioning server is, from DHCP (D-ONB-1). A rule URL with no\n"
"host ('/$PSN.xml', 'http:///$MA.cfg') takes its server from the DHCP\n"
"options in the order of DHCP_Option_To_Use (default 66,160,159,150,60,43,125),\n"
"the first one present and well-formed; with none, the server of the last\n"
"successful fetch.\n"
"\n"
"  --iface IFACE   send a DHCPINFORM (RFC 2131 4.4.3) on IFACE, which must\n"
"                  have an IPv4 address, asking for options 66, 150, 159,\n"
"                  160, 43 and 125, and keep what the DHCPACK carries (up to\n"
"                  3 tries, 7 s in all). Needs root: it binds UDP port 68\n"
"                  and binds to the device (SO_BINDTODEVICE).\n"
"  --dhcp-option N=VALUE  an option as if DHCP had sent it (repeatable;\n"
"                  overrides what the DHCPACK said):\n"
"                    66=HOST[:PORT]    TFTP server name; the port is an\n"
"                                      extension of this tool; a URL works\n"
"                                      too ('66=http://192.0.2.1:8080/')\n"
"                    150=A.B.C.D[,...] TFTP server addresses; the first is used\n"
"                    159=URL, 160=URL  provisioning URL: its scheme, host and\n"
"                                      port are used, not its path\n"
"                    43=HEX            vendor sub-options (01:0b:...); sub-option\n"
"                                      1 holds a server as option 66 does\n"
"                    125=HEX           RFC 3925 blocks; in enterprise 9's\n"
"                                      (Cisco), sub-option 1 as for 43\n"
"\n"
"The server's scheme applies when the rule names none; its port applies\n"
"when it names no scheme or the rule's. The options are kept in the\n"
"status as dhcp_option_N with dhcp_learned (when) and dhcp_source; what\n"
"is learned replaces all that was kept before (an option the answer lacks\n"
"is emptied). With neither --iface nor --dhcp-option, this prints what is\n"
"kept.\n"
"\n"
"Exit status: 0 learned (or printed); 1 the DHCPINFORM got no usable\n"
"answer; 2 bad usage or no device.\n";

/* Takes "--iface IFACE" (or --iface=IFACE) out of argv. Returns the new
 * argc, or -1 if the option lacks its value. */
static int
dhcp_take_iface(int argc, char **argv, const char **iface)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--iface") == 0) {
			if (i + 1 >= argc)
				return -1;
			*iface = argv[++i];
		} else if (i > 0 && strncmp(argv[i], "--iface=", 8) == 0) {
			*iface = argv[i] + 8;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

static void
dhcp_print(struct prov_device *dev)
{
	static const char *const keys[] = {
		"dhcp_option_66", "dhcp_option_150", "dhcp_option_159",
		"dhcp_option_160", "dhcp_option_43", "dhcp_option_125",
		"dhcp_learned", "dhcp_source",
	};

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char *v = NULL;

		if (prov_device_status_get(dev, keys[k], &v) == PROV_OK && v != NULL &&
		    v[0] != '\0')
			printf("%-20s %s\n", keys[k], v);
		free(v);
	}
}

int
phone_dhcp(int argc, char **argv)
{
	struct dhcp_result opts;
	struct prov_device *dev;
	const char *dir, *iface = NULL, *dummy = NULL;
	char why[256];
	int status, i;

	memset(&opts, 0, sizeof(opts));
	argc = dhcp_take_iface(argc, argv, &iface);
	if (argc < 0)
		return cli_usage("phone dhcp", "--iface needs an interface name");
	argc = dhcp_take_args(argc, argv, &opts, &dummy, why, sizeof(why));
	if (argc < 0)
		return cli_usage("phone dhcp", "%s", why);
	if (dummy != NULL && iface == NULL)
		iface = dummy;  /* --dhcp-inform, as `phone run` spells it */
	i = cli_state_opts("phone dhcp", dhcp_help, argc, argv, &dir, NULL, NULL);
	if (i < 0)
		return i == CLI_HELPED ? EXIT_OK : -i;
	if (i != argc)
		return cli_usage("phone dhcp", "unexpected argument '%s'", argv[i]);
	dev = cli_open("phone dhcp", dir, &status);
	if (dev == NULL)
		return status;
	status = EXIT_OK;
	if (iface != NULL || opts.n > 0) {
		if (dhcp_learn(dev, &opts, iface, (int64_t)time(NULL), NULL, NULL, 0,
			       why, sizeof(why)) != 0) {
			cli_err("phone dhcp: %s", why);
			status = EXIT_FAIL;
		}
	}
	dhcp_print(dev);
	prov_device_free(dev);
	return status;
}
