/*
 * prov serve: the provisioning server. The daemon lives in server/ (its
 * options, help and life cycle: server/serve.c); this is only its entry on
 * the command line.
 */
#include "cli.h"
#include "serve.h"

int
cmd_serve(int argc, char **argv)
{
	return serve_main(argc, argv);
}
