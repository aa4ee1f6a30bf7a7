/*
 * The registrations file: add, replace, find by id / prefix / name,
 * remove, mode 0600, broken files named, and many writers at once.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "registry.h"
#include "xmalloc.h"
#include "tap.h"

static void
reg_make(struct registration *r, const char *id, const char *name,
    const char *tag)
{
	static char	*tags[2];

	tags[0] = (char *)tag;
	tags[1] = NULL;
	memset(r, 0, sizeof *r);
	r->id = (char *)id;
	r->name = (char *)name;
	r->server = (char *)"unix:/run/ufod.sock";
	r->token = (char *)"ufor_secret";
	r->units = 2;
	r->tags = tag != NULL ? tags : NULL;
}

int
main(void)
{
	struct registration	 r;
	struct registry		 rg, gone;
	struct ufo_error	 err;
	struct stat		 sb;
	char			 tmpl[] = "/tmp/t-registry.XXXXXX", *dir, *path;
	char			*p, id[32];
	char			*rm[] = { (char *)"rm", (char *)"-rf", tmpl,
				    NULL };
	struct proc_spec	 ps;
	struct proc_result	 pr;
	FILE			*f;
	pid_t			 pid;
	int			 i, j, status, bad = 0;

	if ((dir = mkdtemp(tmpl)) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return (1);
	}
	setenv("HOME", dir, 1);
	path = registry_path();
	p = xprintf("%s/.ufo/rovers.json", dir);
	is_str(path, p, "path: ~/.ufo/rovers.json");
	free(p);

	err_clear(&err);
	ok(registry_load(path, &rg, &err) == 0 && rg.n == 0,
	    "load: no file is no registrations");
	registry_free(&rg);

	reg_make(&r, "rov_aaa111", "alpha", "gpu");
	ok(registry_add(path, &r, &err) == 0, "add: alpha");
	reg_make(&r, "rov_bbb222", "beta", NULL);
	r.server = (char *)"https://ufo.example.com:7077";
	r.ca_file = (char *)"/etc/ufo/ca.pem";
	ok(registry_add(path, &r, &err) == 0, "add: beta, with a CA file");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "add: the file is 0600");
	p = xprintf("%s/.ufo", dir);
	ok(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "add: ~/.ufo is 0700");
	free(p);

	ok(registry_load(path, &rg, &err) == 0 && rg.n == 2, "load: two");
	is_str(rg.regs[0].id, "rov_aaa111", "load: id");
	is_str(rg.regs[0].name, "alpha", "load: name");
	is_str(rg.regs[0].server, "unix:/run/ufod.sock", "load: server");
	is_str(rg.regs[0].token, "ufor_secret", "load: token");
	is_int(rg.regs[0].units, 2, "load: units");
	is_str(rg.regs[0].tags[0], "gpu", "load: tags");
	ok(rg.regs[1].tags[0] == NULL, "load: no tags");
	ok(rg.regs[0].ca_file == NULL, "load: no CA file unless given one");
	is_str(rg.regs[1].ca_file, "/etc/ufo/ca.pem", "load: the CA file");
	is_int(registry_find(&rg, "rov_bbb222", &err), 1, "find: by id");
	is_int(registry_find(&rg, "alpha", &err), 0, "find: by name");
	is_int(registry_find(&rg, "rov_b", &err), 1, "find: by id prefix");
	is_int(registry_find(&rg, "rov_", &err), -1, "find: ambiguous prefix");
	ok(strstr(err.message, "2 registrations") != NULL,
	    "find: ambiguity says so");
	is_int(registry_find(&rg, "gamma", &err), -1, "find: unknown");
	is_int(err.code, UFO_ENOTFOUND, "find: unknown is not found");
	registry_free(&rg);

	/* Enrolling again with the same id replaces the entry. */
	reg_make(&r, "rov_aaa111", "alpha2", NULL);
	ok(registry_add(path, &r, &err) == 0, "add: same id again");
	ok(registry_load(path, &rg, &err) == 0 && rg.n == 2 &&
	    strcmp(rg.regs[0].name, "alpha2") == 0, "add: replaced in place");
	registry_free(&rg);

	ok(registry_remove(path, "beta", 0, &gone, &err) == 0 && gone.n == 1 &&
	    strcmp(gone.regs[0].id, "rov_bbb222") == 0, "remove: by name");
	registry_free(&gone);
	ok(registry_remove(path, "beta", 0, NULL, &err) == -1,
	    "remove: twice fails");
	ok(registry_load(path, &rg, &err) == 0 && rg.n == 1, "remove: one left");
	registry_free(&rg);

	/* Eight writers at once: every entry lands. */
	for (i = 0; i < 8; i++) {
		if ((pid = fork()) == 0) {
			for (j = 0; j < 10; j++) {
				snprintf(id, sizeof id, "rov_w%d_%d", i, j);
				reg_make(&r, id, id, NULL);
				if (registry_add(path, &r, NULL) == -1)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < 8; i++) {
		if (wait(&status) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad++;
	}
	is_int(bad, 0, "concurrent: every writer succeeded");
	ok(registry_load(path, &rg, &err) == 0 && rg.n == 81,
	    "concurrent: all 80 entries and the old one are there");
	registry_free(&rg);

	ok(registry_remove(path, NULL, 1, &gone, &err) == 0 && gone.n == 81,
	    "remove --all: every registration");
	registry_free(&gone);
	ok(registry_load(path, &rg, &err) == 0 && rg.n == 0,
	    "remove --all: none left");
	registry_free(&rg);

	if ((f = fopen(path, "w")) != NULL) {
		fputs("[{\"id\":\"rov_x\",\"server\":\"unix:/s\"}]", f);
		fclose(f);
	}
	err_clear(&err);
	ok(registry_load(path, &rg, &err) == -1 &&
	    strstr(err.message, "entry 1 has no \"token\"") != NULL,
	    "broken: a missing token is named");
	if ((f = fopen(path, "w")) != NULL) {
		fputs("{not json", f);
		fclose(f);
	}
	err_clear(&err);
	ok(registry_load(path, &rg, &err) == -1 &&
	    strstr(err.message, path) != NULL, "broken: bad JSON names the "
	    "file");

	memset(&ps, 0, sizeof ps);
	ps.path = "/bin/rm";
	ps.argv = rm;
	(void)proc_run(&ps, 60, 0, &pr, NULL);
	proc_result_free(&pr);
	free(path);
	return (done_testing());
}
