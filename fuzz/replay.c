/*
 * Replays fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer, so
 * every normal build runs the seed corpora (and any crash reproducer added
 * to them) as a regression test. Arguments are files or directories.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (16u * 1024u * 1024u)

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	size_t n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	data = malloc(REPLAY_MAX);
	if (data == NULL) {
		fclose(f);
		return 1;
	}
	n = fread(data, 1, REPLAY_MAX, f);
	fclose(f);
	/* An exact-size copy, so ASan catches a read one past the input. */
	uint8_t *copy = malloc(n ? n : 1);
	if (copy == NULL) {
		free(data);
		return 1;
	}
	memcpy(copy, data, n);
	free(data);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

static int
replay_path(const char *path, unsigned *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	d = opendir(path);
	if (d == NULL) {
		perror(path);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char sub[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc |= replay_path(sub, count);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		rc |= replay_path(argv[i], &count);
	if (count == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	printf("replayed %u inputs\n", count);
	return rc;
}
