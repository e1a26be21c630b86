/*
 * prov: one program, many subcommands (spec/interfaces.md). main() only
 * dispatches; each subcommand parses its own options.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
"usage: prov COMMAND [ARGS]\n"
"\n"
"prov provisions multiplatform SIP phones: it is the phone's resync engine\n"
"(device side) and the tools around its profile language.\n"
"\n"
"Device:\n"
"  phone init     create a device (identity, factory defaults, certificates)\n"
"  phone get      print parameters as NAME=VALUE (secrets masked)\n"
"  phone set      set parameters as the admin would on the web page\n"
"  phone apply    apply profile files to a device, as a resync would\n"
"  phone unknown  list parameter names seen in profiles but not known\n"
"  phone resync   resync now over TFTP/HTTP/HTTPS and report each rule\n"
"  phone run      the device agent: boot and keep the resync schedule\n"
"  phone status   identity and provisioning status\n"
"  phone line     set a line busy or idle (Forced_Resync_Delay)\n"
"\n"
"Profile tools:\n"
"  lint           check profiles: well-formed, known names, valid values\n"
"  expand         macro-expand text against a device\n"
"  eval           evaluate a condition against a device\n"
"  pack           gzip and/or encrypt a profile as phones read it\n"
"  unpack         decrypt and/or gunzip a profile, as a phone does\n"
"\n"
"Server:\n"
"  serve          the provisioning server: TFTP, HTTP, HTTPS and syslog\n"
"  log            the server's history: requests answered, syslog received\n"
"  device         the server's inventory: devices, their variables and keys\n"
"  var            variables shared by a product, a group or every device\n"
"  template       the profiles the server renders per device\n"
"  firmware       firmware images the server serves\n"
"  rollout        staged firmware rollouts to a group\n"
"  code           activation codes: new, list, revoke (onboarding)\n"
"  ca             the devices' certificate authority: init, issue, list\n"
"  db             the server's database: migrate its schema, status\n"
"  fleet          simulate many phones against a server (load, boot storms)\n"
"\n"
"Run 'prov COMMAND --help' for the options of each command.\n"
"\n"
"Exit status: 0 success, 1 failed operation, 2 bad usage or bad input.\n";

int
main(int argc, char **argv)
{
	const char *cmd;

	/* Results on stdout and problems on stderr stay in order when both go
	 * to one pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
		return cli_help(usage);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("prov %s\n", prov_version());
		return EXIT_OK;
	}
	if (strcmp(cmd, "phone") == 0)
		return cmd_phone(argc - 1, argv + 1);
	if (strcmp(cmd, "lint") == 0)
		return cmd_lint(argc - 1, argv + 1);
	if (strcmp(cmd, "expand") == 0)
		return cmd_expand(argc - 1, argv + 1);
	if (strcmp(cmd, "eval") == 0)
		return cmd_eval(argc - 1, argv + 1);
	if (strcmp(cmd, "pack") == 0)
		return cmd_pack(argc - 1, argv + 1);
	if (strcmp(cmd, "unpack") == 0)
		return cmd_unpack(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "log") == 0)
		return cmd_log(argc - 1, argv + 1);
	if (strcmp(cmd, "device") == 0)
		return cmd_device(argc - 1, argv + 1);
	if (strcmp(cmd, "var") == 0)
		return cmd_var(argc - 1, argv + 1);
	if (strcmp(cmd, "template") == 0)
		return cmd_template(argc - 1, argv + 1);
	if (strcmp(cmd, "firmware") == 0)
		return cmd_firmware(argc - 1, argv + 1);
	if (strcmp(cmd, "rollout") == 0)
		return cmd_rollout(argc - 1, argv + 1);
	if (strcmp(cmd, "code") == 0)
		return cmd_code(argc - 1, argv + 1);
	if (strcmp(cmd, "ca") == 0)
		return cmd_ca(argc - 1, argv + 1);
	if (strcmp(cmd, "db") == 0)
		return cmd_db(argc - 1, argv + 1);
	if (strcmp(cmd, "fleet") == 0)
		return cmd_fleet(argc - 1, argv + 1);
	cli_err("unknown command '%s' (see 'prov --help')", cmd);
	return EXIT_USAGE;
}
