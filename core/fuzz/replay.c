/* SPDX-License-Identifier: MIT */
/*
 * replay.c - run a fuzz target over files, without libFuzzer.
 *
 *     replay_frame DIR|FILE...
 *
 * Calls LLVMFuzzerTestOneInput() once on the contents of every regular
 * file under each argument (directories are walked recursively, in name
 * order, skipping names that start with '.' and README files), each in a
 * buffer of exactly its size so that the sanitizers see a read past the
 * end. A missing argument is an error; an empty directory is not. A
 * failing check in the target aborts, which fails the ctest. This is how
 * the corpus and the crash regressions (core/fuzz/regress/<target>/) run
 * in every CI build, with gcc, under ASan and UBSan too.
 *
 * A libFuzzer build brings its own main() and never links this file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
	unsigned long files;
	unsigned long long bytes;
};

static int replay_file(const char *path, struct tally *t)
{
	unsigned char *buf;
	struct stat sb;
	size_t have = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Exactly the file's size: never a byte more for the target. */
	buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
	if (buf == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		close(fd);
		return -1;
	}
	while (have < (size_t)sb.st_size) {
		n = read(fd, buf + have, (size_t)sb.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (getenv("IPC_REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, have);
	LLVMFuzzerTestOneInput(buf, have);
	free(buf);
	t->files++;
	t->bytes += have;
	return 0;
}

static int skip_name(const char *name)
{
	return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int replay_path(const char *path, struct tally *t)
{
	struct dirent **names;
	struct stat sb;
	char *sub;
	int i, n, rc = 0;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode))
		return S_ISREG(sb.st_mode) ? replay_file(path, t) : 0;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && !skip_name(names[i]->d_name)) {
			sub = malloc(strlen(path) + strlen(names[i]->d_name) +
			             2);
			if (sub == NULL) {
				rc = -1;
			} else {
				sprintf(sub, "%s/%s", path, names[i]->d_name);
				rc = replay_path(sub, t);
				free(sub);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct tally all = {0, 0}, one;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		one.files = 0;
		one.bytes = 0;
		if (replay_path(argv[i], &one) < 0)
			return 1;
		printf("replay: %s: %lu inputs, %llu bytes\n", argv[i],
		       one.files, one.bytes);
		all.files += one.files;
		all.bytes += one.bytes;
	}
	printf("replay: %lu inputs in all, %llu bytes, no failure\n", all.files,
	       all.bytes);
	return 0;
}
