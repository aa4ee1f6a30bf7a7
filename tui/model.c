/*
 * The board's cache of the fleet. Operations are kept in hash maps by id
 * and by code and in an array sorted lazily into board order, so applying
 * an event costs a lookup and the next model_ops one sort, not a reload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "jsonx.h"
#include "model.h"
#include "protocol.h"
#include "xmalloc.h"

/* An open-addressing map from a string to a pointer; keys not owned. */
struct model_map {
	struct model_slot {
		const char	*key;
		void		*val;
	}		*slots;
	size_t		 size;		/* a power of two, or 0 */
	size_t		 n;
};

/* The first page of each status, then the pages loaded behind. */
#define MODEL_FIRST_PAGE	100
#define MODEL_PAGE		1000

struct model_op {
	struct json_object	*obj;
	char			*id;
	char			*code;
	int			 rank;
	double			 pos;
	int64_t			 number;
};

struct model_run {
	char			*op;		/* operation id */
	struct json_object	*obj;
};

struct model {
	struct model_op		**ops;
	size_t			 nops;
	size_t			 sops;
	struct json_object	**sorted;	/* board order, for model_ops */
	int			*ranks;		/* of sorted, by index */
	int			 unsorted;	/* changes since the sort */
	struct model_map	 by_id;
	struct model_map	 by_code;
	struct model_map	 runs;		/* op id → struct model_run */
	struct json_object	*missions;
	struct json_object	*pilots;
	struct json_object	*crews;
	struct json_object	*members;
	struct json_object	*rovers;
	struct json_object	*ssh_hosts;
	struct json_object	*signals;
	char			*fleet;
	char			*me;		/* email */
	char			*me_id;
	char			*changed_op;
	int64_t			 last_event;
	/* Operations still loading: the next page of each status. */
	char			*next[OP_NSTATUS];
	int			 pending[OP_NSTATUS];
	char			**gone;		/* archived while loading */
	size_t			 ngone;
};

static uint64_t
model_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h);
}

static void *
model_map_get(const struct model_map *m, const char *key)
{
	size_t	 i;

	if (m->size == 0 || key == NULL)
		return (NULL);
	for (i = model_hash(key) & (m->size - 1); m->slots[i].key != NULL;
	    i = (i + 1) & (m->size - 1)) {
		if (strcmp(m->slots[i].key, key) == 0)
			return (m->slots[i].val);
	}
	return (NULL);
}

static void model_map_put(struct model_map *, const char *, void *);

static void
model_map_grow(struct model_map *m)
{
	struct model_slot	*old = m->slots;
	size_t			 oldsize = m->size, i;

	m->size = oldsize == 0 ? 64 : oldsize * 2;
	m->slots = xcalloc(m->size, sizeof *m->slots);
	m->n = 0;
	for (i = 0; i < oldsize; i++) {
		if (old[i].key != NULL)
			model_map_put(m, old[i].key, old[i].val);
	}
	free(old);
}

static void
model_map_put(struct model_map *m, const char *key, void *val)
{
	size_t	 i;

	if ((m->n + 1) * 2 > m->size)
		model_map_grow(m);
	for (i = model_hash(key) & (m->size - 1); m->slots[i].key != NULL;
	    i = (i + 1) & (m->size - 1)) {
		if (strcmp(m->slots[i].key, key) == 0) {
			m->slots[i].key = key;
			m->slots[i].val = val;
			return;
		}
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->n++;
}

/* Removes key, shifting back what probed past it (no tombstones). */
static void
model_map_del(struct model_map *m, const char *key)
{
	size_t	 i, j, k, mask = m->size - 1;

	if (m->size == 0)
		return;
	for (i = model_hash(key) & mask; m->slots[i].key != NULL;
	    i = (i + 1) & mask) {
		if (strcmp(m->slots[i].key, key) == 0)
			break;
	}
	if (m->slots[i].key == NULL)
		return;
	m->slots[i].key = NULL;
	m->n--;
	for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
		k = model_hash(m->slots[j].key) & mask;
		/* Stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->slots[i] = m->slots[j];
		m->slots[j].key = NULL;
		i = j;
	}
}

static void
model_map_free(struct model_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

struct model *
model_create(void)
{
	struct model	*m;

	m = xcalloc(1, sizeof *m);
	m->missions = json_object_new_array();
	m->pilots = json_object_new_array();
	m->crews = json_object_new_array();
	m->members = json_object_new_array();
	m->rovers = json_object_new_array();
	m->ssh_hosts = json_object_new_array();
	m->signals = json_object_new_array();
	return (m);
}

static void
model_op_free(struct model_op *o)
{
	json_object_put(o->obj);
	free(o->id);
	free(o->code);
	free(o);
}

static void
model_clear(struct model *m)
{
	size_t	 i;

	for (i = 0; i < m->nops; i++)
		model_op_free(m->ops[i]);
	free(m->ops);
	m->ops = NULL;
	m->nops = m->sops = 0;
	free(m->sorted);
	m->sorted = NULL;
	free(m->ranks);
	m->ranks = NULL;
	model_map_free(&m->by_id);
	model_map_free(&m->by_code);
	for (i = 0; i < m->runs.size; i++) {
		struct model_run	*r = m->runs.slots[i].val;

		if (m->runs.slots[i].key == NULL)
			continue;
		json_object_put(r->obj);
		free(r->op);
		free(r);
	}
	model_map_free(&m->runs);
	for (i = 0; i < OP_NSTATUS; i++) {
		free(m->next[i]);
		m->next[i] = NULL;
		m->pending[i] = 0;
	}
	for (i = 0; i < m->ngone; i++)
		free(m->gone[i]);
	free(m->gone);
	m->gone = NULL;
	m->ngone = 0;
}

void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	model_clear(m);
	json_object_put(m->missions);
	json_object_put(m->pilots);
	json_object_put(m->crews);
	json_object_put(m->members);
	json_object_put(m->rovers);
	json_object_put(m->ssh_hosts);
	json_object_put(m->signals);
	free(m->fleet);
	free(m->me);
	free(m->me_id);
	free(m->changed_op);
	free(m);
}

static double
model_num(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return (0);
	return (json_object_get_double(v));
}

/* Sets o's fields from obj (a reference is taken). */
static void
model_op_fill(struct model_op *o, struct json_object *obj)
{
	const char	*status;
	int		 rank;

	json_object_get(obj);
	json_object_put(o->obj);
	o->obj = obj;
	status = jsonx_str(obj, "status");
	rank = status != NULL ? op_status_from_name(status) : -1;
	o->rank = rank >= 0 ? rank : OP_NSTATUS;
	o->pos = model_num(obj, "position");
	o->number = jsonx_int(obj, "number", 0);
}

/* Whether a loaded page's copy is older than what an event brought. */
static int
model_op_stale(struct model *m, struct json_object *obj)
{
	struct model_op	*o;
	const char	*id, *when, *had;
	size_t		 i;

	if ((id = jsonx_str(obj, "id")) == NULL)
		return (1);
	for (i = 0; i < m->ngone; i++) {
		if (strcmp(m->gone[i], id) == 0)
			return (1);
	}
	if ((o = model_map_get(&m->by_id, id)) == NULL)
		return (0);
	when = jsonx_str(obj, "updated_at");
	had = jsonx_str(o->obj, "updated_at");
	return (when != NULL && had != NULL && strcmp(when, had) <= 0);
}

/* Adds or replaces an operation; archived ones leave the board. */
static void
model_op_put(struct model *m, struct json_object *obj)
{
	struct model_op		*o;
	struct json_object	*v;
	const char		*id, *code;
	size_t			 i;
	int			 archived;

	if ((id = jsonx_str(obj, "id")) == NULL)
		return;
	archived = json_object_object_get_ex(obj, "archived", &v) &&
	    json_object_get_boolean(v);
	o = model_map_get(&m->by_id, id);
	if (archived) {
		if (model_loading(m)) {
			m->gone = xreallocarray(m->gone, m->ngone + 1,
			    sizeof *m->gone);
			m->gone[m->ngone++] = xstrdup(id);
		}
		if (o == NULL)
			return;
		model_map_del(&m->by_id, o->id);
		if (o->code != NULL)
			model_map_del(&m->by_code, o->code);
		for (i = 0; i < m->nops; i++) {
			if (m->ops[i] == o) {
				memmove(&m->ops[i], &m->ops[i + 1],
				    (m->nops - i - 1) * sizeof m->ops[0]);
				m->nops--;
				break;
			}
		}
		model_op_free(o);
		m->unsorted++;
		return;
	}
	if (o == NULL) {
		o = xcalloc(1, sizeof *o);
		o->id = xstrdup(id);
		if (m->nops == m->sops) {
			m->sops = m->sops == 0 ? 256 : m->sops * 2;
			m->ops = xreallocarray(m->ops, m->sops,
			    sizeof m->ops[0]);
		}
		m->ops[m->nops++] = o;
		model_map_put(&m->by_id, o->id, o);
	}
	code = jsonx_str(obj, "code");
	if (code != NULL && (o->code == NULL || strcmp(o->code, code) != 0)) {
		if (o->code != NULL)
			model_map_del(&m->by_code, o->code);
		free(o->code);
		o->code = xstrdup(code);
		model_map_put(&m->by_code, o->code, o);
	}
	model_op_fill(o, obj);
	m->unsorted++;
}

/* Keeps run when it is the newest of its operation. */
static void
model_run_put(struct model *m, struct json_object *obj)
{
	struct model_run	*r;
	const char		*op, *id, *q, *oldq;

	if ((op = jsonx_str(obj, "operation_id")) == NULL ||
	    (id = jsonx_str(obj, "id")) == NULL)
		return;
	if ((r = model_map_get(&m->runs, op)) == NULL) {
		r = xcalloc(1, sizeof *r);
		r->op = xstrdup(op);
		model_map_put(&m->runs, r->op, r);
	} else if (strcmp(jsonx_str(r->obj, "id"), id) != 0) {
		q = jsonx_str(obj, "queued_at");
		oldq = jsonx_str(r->obj, "queued_at");
		/* An older run's late news does not hide the newer run. */
		if (q != NULL && oldq != NULL && strcmp(q, oldq) < 0)
			return;
	}
	json_object_get(obj);
	json_object_put(r->obj);
	r->obj = obj;
}

/* Replaces the element of array with obj's id, or adds it (at front). */
static void
model_array_put(struct json_object *array, struct json_object *obj,
    int front)
{
	const char	*id, *other;
	size_t		 i, n;

	if ((id = jsonx_str(obj, "id")) == NULL)
		return;
	n = json_object_array_length(array);
	for (i = 0; i < n; i++) {
		other = jsonx_str(json_object_array_get_idx(array, i), "id");
		if (other != NULL && strcmp(other, id) == 0) {
			json_object_array_put_idx(array, i,
			    json_object_get(obj));
			return;
		}
	}
	if (!front) {
		json_object_array_add(array, json_object_get(obj));
		return;
	}
	json_object_array_add(array, NULL);
	for (i = n; i > 0; i--)
		json_object_array_put_idx(array, i, json_object_get(
		    json_object_array_get_idx(array, i - 1)));
	json_object_array_put_idx(array, 0, json_object_get(obj));
}

/* Takes the object with id out of array, if it is there. */
static void
model_array_drop(struct json_object *array, const char *id)
{
	const char	*other;
	size_t		 i, n;

	if (id == NULL)
		return;
	n = json_object_array_length(array);
	for (i = 0; i < n; i++) {
		other = jsonx_str(json_object_array_get_idx(array, i), "id");
		if (other != NULL && strcmp(other, id) == 0) {
			json_object_array_del_idx(array, i, 1);
			return;
		}
	}
}

static int
model_list(struct client *c, const char *path, struct json_object **out,
    struct ufo_error *err)
{
	struct json_object	*items;

	if (client_list(c, path, 1, &items, err) == -1)
		return (-1);
	json_object_put(*out);
	*out = items;
	return (0);
}

/* Who "me" is: the user of my signals, the only member, or the owner. */
static void
model_find_me(struct model *m, struct client *c)
{
	struct json_object	*u = NULL, *sig;
	const char		*id = NULL, *role;
	size_t			 i, n;

	if (json_object_array_length(m->signals) > 0) {
		sig = json_object_array_get_idx(m->signals, 0);
		id = jsonx_str(sig, "user");
	}
	n = json_object_array_length(m->members);
	for (i = 0; i < n; i++) {
		struct json_object	*mb;

		mb = json_object_array_get_idx(m->members, i);
		role = jsonx_str(mb, "role");
		if (id != NULL) {
			if (jsonx_str(mb, "id") != NULL &&
			    strcmp(jsonx_str(mb, "id"), id) == 0)
				u = mb;
		} else if (n == 1 || (client_local(c) && role != NULL &&
		    strcmp(role, "owner") == 0 && u == NULL))
			u = mb;
	}
	free(m->me);
	free(m->me_id);
	m->me = NULL;
	m->me_id = id != NULL ? xstrdup(id) : NULL;
	if (u != NULL) {
		if (jsonx_str(u, "email") != NULL)
			m->me = xstrdup(jsonx_str(u, "email"));
		if (m->me_id == NULL && jsonx_str(u, "id") != NULL)
			m->me_id = xstrdup(jsonx_str(u, "id"));
	}
}

int
model_load(struct model *m, struct client *c, struct ufo_error *err)
{
	struct json_object	*server = NULL, *fleets = NULL, *ops = NULL;
	struct json_object	*runs = NULL;
	size_t			 i, n;
	char			*path;
	int			 st, rc;

	/*
	 * The feed resumes after the id taken before anything is read, so
	 * no change made during the load is lost; one applied twice does no
	 * harm, as events carry whole objects.
	 */
	if (client_get(c, "/server", &server, err) == -1)
		return (-1);
	m->last_event = jsonx_int(server, "events", 0);
	json_object_put(server);

	if (model_list(c, "/fleets", &fleets, err) == -1)
		return (-1);
	free(m->fleet);
	m->fleet = NULL;
	if (json_object_array_length(fleets) > 0 &&
	    jsonx_str(json_object_array_get_idx(fleets, 0), "name") != NULL)
		m->fleet = xstrdup(jsonx_str(json_object_array_get_idx(fleets,
		    0), "name"));
	json_object_put(fleets);

	if (model_list(c, "/members", &m->members, err) == -1 ||
	    model_list(c, "/missions", &m->missions, err) == -1 ||
	    model_list(c, "/pilots", &m->pilots, err) == -1 ||
	    model_list(c, "/crews", &m->crews, err) == -1 ||
	    model_list(c, "/rovers", &m->rovers, err) == -1 ||
	    model_list(c, "/ssh-hosts", &m->ssh_hosts, err) == -1 ||
	    model_list(c, "/signals?limit=1000", &m->signals, err) == -1)
		return (-1);
	model_find_me(m, c);

	/*
	 * The first page of each status is enough to draw the board; the
	 * rest comes through model_next_page and model_add_page while the
	 * board already runs (DESIGN §9: first paint within 100 ms).
	 */
	model_clear(m);
	for (st = 0; st < OP_NSTATUS; st++) {
		path = xprintf("/operations?status=%s&limit=%d",
		    op_status_name(st), MODEL_FIRST_PAGE);
		rc = client_get(c, path, &ops, err);
		free(path);
		if (rc == -1)
			return (-1);
		if (model_add_page(m, st, ops) == -1) {
			json_object_put(ops);
			return (err_set(err, UFO_EINTERNAL, "", "%s: the answer "
			    "to GET /operations has no \"items\" list",
			    client_where(c)));
		}
		json_object_put(ops);
	}
	if (client_list(c, "/runs?limit=1000", 1, &runs, err) == -1)
		return (-1);
	/* Newest first: walk from the oldest so the newest stays. */
	n = json_object_array_length(runs);
	for (i = n; i > 0; i--)
		model_run_put(m, json_object_array_get_idx(runs, i - 1));
	json_object_put(runs);
	return (0);
}

int
model_loading(const struct model *m)
{
	int	 st;

	for (st = 0; st < OP_NSTATUS; st++) {
		if (m->next[st] != NULL || m->pending[st])
			return (1);
	}
	return (0);
}

char *
model_next_page(struct model *m, int *status)
{
	char	*path;
	int	 st;

	for (st = 0; st < OP_NSTATUS; st++) {
		if (m->next[st] == NULL || m->pending[st])
			continue;
		path = xprintf("/operations?status=%s&limit=%d",
		    op_status_name(st), MODEL_PAGE);
		client_query_add(&path, "before", m->next[st]);
		free(m->next[st]);
		m->next[st] = NULL;
		m->pending[st] = 1;
		*status = st;
		return (path);
	}
	return (NULL);
}

int
model_add_page(struct model *m, int status, struct json_object *page)
{
	struct json_object	*items, *op;
	const char		*next;
	size_t			 i, n;

	if (status < 0 || status >= OP_NSTATUS)
		return (-1);
	m->pending[status] = 0;
	free(m->next[status]);
	m->next[status] = NULL;
	if (page == NULL || !json_object_object_get_ex(page, "items",
	    &items) || !json_object_is_type(items, json_type_array))
		return (-1);
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		op = json_object_array_get_idx(items, i);
		if (!model_op_stale(m, op))
			model_op_put(m, op);
	}
	if ((next = jsonx_str(page, "next")) != NULL && n > 0)
		m->next[status] = xstrdup(next);
	if (!model_loading(m)) {
		for (i = 0; i < m->ngone; i++)
			free(m->gone[i]);
		free(m->gone);
		m->gone = NULL;
		m->ngone = 0;
	}
	return (0);
}

int64_t
model_last_event(const struct model *m)
{
	return (m->last_event);
}

const char *
model_changed_op(const struct model *m)
{
	return (m->changed_op);
}

static void
model_set_changed(struct model *m, const char *op)
{
	free(m->changed_op);
	m->changed_op = op != NULL ? xstrdup(op) : NULL;
}

/* An event's kind by its prefix: what it changes, and how. */
static const struct model_kind {
	const char	*prefix;
	int		 flags;
} model_kinds[] = {
	{ "operation.",	MODEL_OPS },
	{ "run.",	MODEL_RUNS },
	{ "comment.",	MODEL_COMMENTS },
	{ "relation.",	MODEL_OPS },
	{ "label.",	MODEL_OPS },
	{ "rover.",	MODEL_ROVERS },
	{ "ssh_host.",	MODEL_ROVERS },
	{ "signal.",	MODEL_SIGNALS },
	{ "mission.",	MODEL_MISSIONS },
	{ "pilot.",	MODEL_PILOTS },
	{ "crew.",	MODEL_PILOTS },
	{ "member.",	MODEL_PILOTS },
};

int
model_apply(struct model *m, int64_t id, const char *kind, const char *json)
{
	struct json_object	*ev, *data = NULL;
	struct model_op		*o;
	const char		*op, *user;
	size_t			 i;
	int			 flags = 0;

	if (id > m->last_event)
		m->last_event = id;
	model_set_changed(m, NULL);
	if ((ev = jsonx_parse(json, strlen(json), NULL)) == NULL)
		return (0);
	/* The feed sends the whole event; its data is the object. */
	if (!json_object_object_get_ex(ev, "data", &data) || data == NULL ||
	    !json_object_is_type(data, json_type_object) ||
	    jsonx_str(ev, "kind") == NULL)
		data = ev;
	for (i = 0; i < sizeof model_kinds / sizeof model_kinds[0]; i++) {
		if (strncmp(kind, model_kinds[i].prefix,
		    strlen(model_kinds[i].prefix)) == 0)
			flags = model_kinds[i].flags;
	}
	switch (flags) {
	case MODEL_OPS:
		if (strncmp(kind, "operation.", 10) == 0) {
			model_op_put(m, data);
			model_set_changed(m, jsonx_str(data, "id"));
		} else {
			op = jsonx_str(data, "operation_id");
			if (op == NULL)
				op = jsonx_str(data, "operation");
			if ((o = model_map_get(&m->by_code, op)) != NULL)
				op = o->id;
			model_set_changed(m, op);
		}
		break;
	case MODEL_RUNS:
		model_run_put(m, data);
		model_set_changed(m, jsonx_str(data, "operation_id"));
		break;
	case MODEL_COMMENTS:
		op = jsonx_str(data, "operation");
		if ((o = model_map_get(&m->by_code, op)) != NULL)
			op = o->id;
		model_set_changed(m, op);
		break;
	case MODEL_ROVERS:
		if (strcmp(kind, "ssh_host.removed") == 0)
			model_array_drop(m->ssh_hosts, jsonx_str(data, "id"));
		else if (strncmp(kind, "ssh_host.", 9) == 0)
			model_array_put(m->ssh_hosts, data, 0);
		else
			model_array_put(m->rovers, data, 0);
		break;
	case MODEL_SIGNALS:
		user = jsonx_str(data, "user");
		/* The feed is the fleet's; the signals are each member's. */
		if (m->me_id != NULL && user != NULL &&
		    strcmp(user, m->me_id) != 0)
			flags = 0;
		else
			model_array_put(m->signals, data, 1);
		model_set_changed(m, NULL);
		break;
	case MODEL_MISSIONS:
		model_array_put(m->missions, data, 0);
		break;
	case MODEL_PILOTS:
		if (strncmp(kind, "pilot.", 6) == 0)
			model_array_put(m->pilots, data, 0);
		else if (strncmp(kind, "crew.", 5) == 0)
			model_array_put(m->crews, data, 0);
		else
			model_array_put(m->members, data, 0);
		break;
	}
	json_object_put(ev);
	return (flags);
}

static int
model_op_cmp(const void *a, const void *b)
{
	const struct model_op	*x = *(struct model_op *const *)a;
	const struct model_op	*y = *(struct model_op *const *)b;

	if (x->rank != y->rank)
		return (x->rank < y->rank ? -1 : 1);
	if (x->pos != y->pos)
		return (x->pos < y->pos ? -1 : 1);
	if (x->number != y->number)
		return (x->number < y->number ? -1 : 1);
	return (0);
}

/* Insertion sort: a few changed operations cost one pass, not a qsort. */
static void
model_ops_resort(struct model *m)
{
	struct model_op	*o;
	size_t		 i, j;

	for (i = 1; i < m->nops; i++) {
		o = m->ops[i];
		for (j = i; j > 0 && model_op_cmp(&m->ops[j - 1], &o) > 0; j--)
			m->ops[j] = m->ops[j - 1];
		m->ops[j] = o;
	}
}

size_t
model_ops(const struct model *cm, struct json_object ***out)
{
	struct model	*m = (struct model *)cm;
	size_t		 i;

	/* Sorted on demand: a burst of events costs one sort. */
	if (m->unsorted) {
		if (m->unsorted < 32 && m->sorted != NULL)
			model_ops_resort(m);
		else
			qsort(m->ops, m->nops, sizeof m->ops[0], model_op_cmp);
		free(m->sorted);
		free(m->ranks);
		m->sorted = xcalloc(m->nops + 1, sizeof *m->sorted);
		m->ranks = xcalloc(m->nops + 1, sizeof *m->ranks);
		for (i = 0; i < m->nops; i++) {
			m->sorted[i] = m->ops[i]->obj;
			m->ranks[i] = m->ops[i]->rank;
		}
		m->unsorted = 0;
	}
	*out = m->sorted;
	return (m->nops);
}

int
model_ops_status(const struct model *m, size_t i)
{
	if (m->ranks == NULL || i >= m->nops)
		return (-1);
	return (m->ranks[i]);
}

int
model_filter_empty(const struct model_filter *f)
{
	return (f == NULL || (f->text == NULL && f->label == NULL &&
	    f->assignee == NULL && f->mission == NULL));
}

struct json_object *
model_op(const struct model *m, const char *key)
{
	struct model_op	*o;

	if (key == NULL)
		return (NULL);
	if ((o = model_map_get(&m->by_id, key)) == NULL)
		o = model_map_get(&m->by_code, key);
	return (o != NULL ? o->obj : NULL);
}

struct json_object *
model_op_run(const struct model *m, const char *op)
{
	struct model_run	*r;
	struct model_op		*o;

	if ((r = model_map_get(&m->runs, op)) == NULL &&
	    (o = model_map_get(&m->by_code, op)) != NULL)
		r = model_map_get(&m->runs, o->id);
	return (r != NULL ? r->obj : NULL);
}

static int
model_contains(const char *hay, const char *needle)
{
	size_t	 n;

	if (hay == NULL)
		return (0);
	n = strlen(needle);
	for (; *hay != '\0'; hay++) {
		if (strncasecmp(hay, needle, n) == 0)
			return (1);
	}
	return (0);
}

int
model_filter_match(const struct model_filter *f, struct json_object *op)
{
	struct json_object	*labels;
	const char		*status, *s;
	size_t			 i, n;
	int			 found;

	if (f == NULL)
		return (1);
	status = jsonx_str(op, "status");
	if (!f->hidden && status != NULL && (strcmp(status, "blocked") == 0 ||
	    strcmp(status, "cancelled") == 0))
		return (0);
	if (f->mission != NULL && ((s = jsonx_str(op, "mission")) == NULL ||
	    strcasecmp(s, f->mission) != 0))
		return (0);
	if (f->assignee != NULL) {
		s = jsonx_str(op, "assignee");
		if (strcmp(f->assignee, "none") == 0 ? s != NULL :
		    (s == NULL || (strcmp(s, f->assignee) != 0 &&
		    (strchr(s, ':') == NULL ||
		    strcmp(strchr(s, ':') + 1, f->assignee) != 0))))
			return (0);
	}
	if (f->label != NULL) {
		found = 0;
		if (json_object_object_get_ex(op, "labels", &labels) &&
		    json_object_is_type(labels, json_type_array)) {
			n = json_object_array_length(labels);
			for (i = 0; i < n && !found; i++) {
				s = json_object_get_string(
				    json_object_array_get_idx(labels, i));
				found = s != NULL && strcmp(s, f->label) == 0;
			}
		}
		if (!found)
			return (0);
	}
	if (f->text != NULL && !model_contains(jsonx_str(op, "code"),
	    f->text) && !model_contains(jsonx_str(op, "title"), f->text) &&
	    !model_contains(jsonx_str(op, "body"), f->text))
		return (0);
	return (1);
}

void
model_filter_clear(struct model_filter *f)
{
	free(f->text);
	free(f->label);
	free(f->assignee);
	free(f->mission);
	f->text = f->label = f->assignee = f->mission = NULL;
}

void
model_filter_parse(struct model_filter *f, const char *s)
{
	static const struct {
		const char	*prefix;
		size_t		 off;
	} fields[] = {
		{ "label:",	offsetof(struct model_filter, label) },
		{ "assignee:",	offsetof(struct model_filter, assignee) },
		{ "mission:",	offsetof(struct model_filter, mission) },
	};
	char	*copy, *word, *save = NULL, **field, *text;
	size_t	 i;

	model_filter_clear(f);
	if (s == NULL)
		return;
	copy = xstrdup(s);
	for (word = strtok_r(copy, " \t", &save); word != NULL;
	    word = strtok_r(NULL, " \t", &save)) {
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			if (strncmp(word, fields[i].prefix,
			    strlen(fields[i].prefix)) == 0 &&
			    word[strlen(fields[i].prefix)] != '\0')
				break;
		}
		if (i < sizeof fields / sizeof fields[0]) {
			field = (char **)((char *)f + fields[i].off);
			free(*field);
			*field = xstrdup(word + strlen(fields[i].prefix));
			continue;
		}
		if (f->text == NULL)
			f->text = xstrdup(word);
		else {
			text = xprintf("%s %s", f->text, word);
			free(f->text);
			f->text = text;
		}
	}
	free(copy);
}

struct json_object *
model_missions(const struct model *m)
{
	return (m->missions);
}

struct json_object *
model_pilots(const struct model *m)
{
	return (m->pilots);
}

struct json_object *
model_crews(const struct model *m)
{
	return (m->crews);
}

struct json_object *
model_members(const struct model *m)
{
	return (m->members);
}

struct json_object *
model_rovers(const struct model *m)
{
	return (m->rovers);
}

/* The SSH hosts ufod reaches rovers through, with their state. */
struct json_object *
model_ssh_hosts(const struct model *m)
{
	return (m->ssh_hosts);
}

struct json_object *
model_signals(const struct model *m)
{
	return (m->signals);
}

size_t
model_unread(const struct model *m)
{
	struct json_object	*sig, *read;
	size_t			 i, n, count = 0;

	n = json_object_array_length(m->signals);
	for (i = 0; i < n; i++) {
		sig = json_object_array_get_idx(m->signals, i);
		if (!json_object_object_get_ex(sig, "read_at", &read) ||
		    read == NULL)
			count++;
	}
	return (count);
}

const char *
model_fleet(const struct model *m)
{
	return (m->fleet);
}

const char *
model_me(const struct model *m)
{
	return (m->me);
}
