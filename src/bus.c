/*
 * bus.c - picks the bus a URL names (bus.h).  A second bus is one more
 * line here, and its own file.
 */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "util.h"

struct bus *
bus_open(const char *url, char *err, size_t n)
{
	struct bus *b;
	char *home;

	if (url != NULL && *url != '\0' && strcmp(url, "dir:") != 0) {
		seterr(err, n, "%s: no bus takes this URL (the directory bus, "
		    "the only one, is the default: leave it unset)", url);
		return NULL;
	}
	b = xmalloc(sizeof(*b));
	b->ops = &bus_dir_ops;
	b->impl = NULL;
	home = topic_home();
	b->where = xmalloc(strlen(home) + sizeof("/topics"));
	strcpy(b->where, home);
	strcat(b->where, "/topics");
	free(home);
	return b;
}

void
bus_close(struct bus *b)
{
	if (b == NULL)
		return;
	b->ops->close(b);
	free(b->where);
	free(b);
}
