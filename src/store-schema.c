/*
 * The schema as an ordered list of migrations. PRAGMA user_version counts
 * the ones applied; each runs in its own transaction at open, so a database
 * is always at one version or the next, never between. Append; never edit a
 * migration that has shipped.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "protocol.h"
#include "store-internal.h"

/* The SQL below hard-codes the done rank (children counts). */
_Static_assert(OP_DONE == 4, "statuses table and OP_DONE disagree");
_Static_assert(OP_BACKLOG == 0 && OP_CANCELLED == 6,
    "statuses table and protocol.h disagree");

static const char *const store_migrations[] = {
	/* 1: fleets, users, tokens, missions, operations, labels, relations,
	 * comments, pilots, crews, events. */
	"CREATE TABLE fleets ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE TABLE members ("
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  user_id TEXT NOT NULL REFERENCES users (id),"
	"  role TEXT NOT NULL CHECK (role IN ('member', 'admin', 'owner')),"
	"  created_at TEXT NOT NULL,"
	"  PRIMARY KEY (fleet_id, user_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX members_user ON members (user_id);"
	"CREATE TABLE tokens ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  user_id TEXT NOT NULL REFERENCES users (id),"
	"  name TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  prefix TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  expires_at TEXT,"
	"  last_used_at TEXT,"
	"  revoked_at TEXT"
	");"
	"CREATE INDEX tokens_user ON tokens (fleet_id, user_id, created_at);"
	"CREATE TABLE missions ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  key TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  repo TEXT,"
	"  branch TEXT,"
	"  next_number INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (fleet_id, key)"
	");"
	/* Board order of the statuses; operations keep the rank. */
	"CREATE TABLE statuses ("
	"  rank INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE"
	");"
	"INSERT INTO statuses (rank, name) VALUES (0, 'backlog'), (1, 'todo'),"
	"  (2, 'in_progress'), (3, 'in_review'), (4, 'done'), (5, 'blocked'),"
	"  (6, 'cancelled');"
	"CREATE TABLE pilots ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  model TEXT,"
	"  args TEXT NOT NULL DEFAULT '[]',"
	"  env TEXT NOT NULL DEFAULT '{}',"
	"  credentials TEXT NOT NULL DEFAULT '[]',"
	"  max_turns INTEGER,"
	"  timeout INTEGER NOT NULL DEFAULT 3600,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (fleet_id, name)"
	");"
	"CREATE TABLE crews ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  name TEXT NOT NULL,"
	"  captain_kind TEXT CHECK (captain_kind IN ('pilot', 'user')),"
	"  captain_id TEXT,"
	"  created_at TEXT NOT NULL,"
	"  UNIQUE (fleet_id, name)"
	");"
	"CREATE TABLE crew_members ("
	"  crew_id TEXT NOT NULL REFERENCES crews (id),"
	"  idx INTEGER NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('pilot', 'user')),"
	"  member_id TEXT NOT NULL,"
	"  PRIMARY KEY (crew_id, idx),"
	"  UNIQUE (crew_id, kind, member_id)"
	") WITHOUT ROWID;"
	"CREATE TABLE operations ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  mission_id TEXT NOT NULL REFERENCES missions (id),"
	"  number INTEGER NOT NULL,"
	"  title TEXT NOT NULL,"
	"  body TEXT NOT NULL DEFAULT '',"
	"  status INTEGER NOT NULL DEFAULT 0 REFERENCES statuses (rank),"
	"  priority INTEGER NOT NULL DEFAULT 0"
	"    CHECK (priority BETWEEN 0 AND 4),"
	"  assignee_kind TEXT CHECK (assignee_kind IN ('pilot', 'user',"
	"    'crew')),"
	"  assignee_id TEXT,"
	"  parent_id TEXT REFERENCES operations (id),"
	"  position INTEGER NOT NULL,"
	"  archived_at TEXT,"
	"  created_by TEXT NOT NULL REFERENCES users (id),"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (mission_id, number),"
	"  CHECK ((assignee_kind IS NULL) = (assignee_id IS NULL)),"
	"  CHECK (parent_id IS NOT id)"
	");"
	"CREATE INDEX operations_order"
	"  ON operations (fleet_id, status, position, seq);"
	"CREATE INDEX operations_position ON operations (fleet_id, position);"
	"CREATE INDEX operations_parent ON operations (parent_id);"
	"CREATE INDEX operations_assignee"
	"  ON operations (assignee_id, assignee_kind);"
	"CREATE TABLE labels ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  name TEXT NOT NULL COLLATE NOCASE,"
	"  color TEXT,"
	"  created_at TEXT NOT NULL,"
	"  UNIQUE (fleet_id, name)"
	");"
	"CREATE TABLE operation_labels ("
	"  op_id TEXT NOT NULL REFERENCES operations (id),"
	"  label_id TEXT NOT NULL REFERENCES labels (id),"
	"  PRIMARY KEY (op_id, label_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX operation_labels_label ON operation_labels (label_id);"
	"CREATE TABLE relations ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('blocks', 'relates',"
	"    'duplicate')),"
	"  from_id TEXT NOT NULL REFERENCES operations (id),"
	"  to_id TEXT NOT NULL REFERENCES operations (id),"
	"  created_by TEXT NOT NULL REFERENCES users (id),"
	"  created_at TEXT NOT NULL,"
	"  UNIQUE (from_id, to_id, kind),"
	"  CHECK (from_id <> to_id)"
	");"
	"CREATE INDEX relations_to ON relations (to_id);"
	"CREATE TABLE comments ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  op_id TEXT NOT NULL REFERENCES operations (id),"
	"  author_kind TEXT NOT NULL CHECK (author_kind IN ('user', 'pilot',"
	"    'system')),"
	"  author_id TEXT,"
	"  body TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE INDEX comments_op ON comments (op_id, seq);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  kind TEXT NOT NULL,"
	"  entity_id TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE INDEX events_fleet ON events (fleet_id, id);",

	/* 2: the execution plane: enrollment codes, rovers, runs, their
	 * messages and artifacts, signals; dispatch fields of operations.
	 * Times that are compared are kept in ms too (…_ms), so that the
	 * comparisons walk an index. */
	"ALTER TABLE operations ADD COLUMN require_tags TEXT NOT NULL"
	"  DEFAULT '[]';"
	"ALTER TABLE operations ADD COLUMN exclude_tags TEXT NOT NULL"
	"  DEFAULT '[]';"
	/* Human comments made during an active run, for the next resume. */
	"ALTER TABLE operations ADD COLUMN pending_prompt TEXT;"
	/* Fixed at the first run so that the rover's work dir stays put. */
	"ALTER TABLE operations ADD COLUMN slug TEXT;"
	"CREATE TABLE enrollment_codes ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  hash TEXT NOT NULL UNIQUE,"
	"  uses INTEGER NOT NULL CHECK (uses > 0),"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  created_by TEXT NOT NULL REFERENCES users (id),"
	"  expires_at TEXT NOT NULL,"
	"  expires_ms INTEGER NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  CHECK (used BETWEEN 0 AND uses)"
	");"
	"CREATE TABLE rovers ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  name TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  auto_tags TEXT NOT NULL DEFAULT '[]',"
	"  units INTEGER NOT NULL DEFAULT 1 CHECK (units > 0),"
	"  version TEXT,"
	"  host TEXT,"
	"  code_id TEXT REFERENCES enrollment_codes (id),"
	"  last_seen_at TEXT,"
	"  last_seen_ms INTEGER,"
	"  revoked_at TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL"
	");"
	"CREATE INDEX rovers_fleet ON rovers (fleet_id, seq);"
	"CREATE UNIQUE INDEX rovers_name ON rovers (fleet_id, name)"
	"  WHERE revoked_at IS NULL;"
	/* The pilot kinds each live rover can run (pilot:KIND tags). */
	"CREATE TABLE rover_kinds ("
	"  rover_id TEXT NOT NULL REFERENCES rovers (id),"
	"  kind TEXT NOT NULL,"
	"  fleet_id TEXT NOT NULL,"
	"  PRIMARY KEY (rover_id, kind)"
	") WITHOUT ROWID;"
	"CREATE INDEX rover_kinds_fleet ON rover_kinds (fleet_id, kind);"
	"CREATE TABLE runs ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  op_id TEXT NOT NULL REFERENCES operations (id),"
	"  pilot_id TEXT NOT NULL REFERENCES pilots (id),"
	"  pilot TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  profile TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('queued', 'claimed',"
	"    'running', 'succeeded', 'failed', 'cancelled')),"
	"  attempt INTEGER NOT NULL DEFAULT 1,"
	"  max_attempts INTEGER NOT NULL DEFAULT 3,"
	"  rover_id TEXT REFERENCES rovers (id),"
	"  prompt TEXT NOT NULL,"
	"  resume INTEGER NOT NULL DEFAULT 0,"
	"  session_id TEXT,"
	"  exit_code INTEGER,"
	"  error TEXT,"
	"  final_message TEXT,"
	"  usage TEXT NOT NULL DEFAULT '{\"input_tokens\":0,"
	"\"output_tokens\":0,\"cache_read_tokens\":0,\"cost_usd\":0.0}',"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  exclude_tags TEXT NOT NULL DEFAULT '[]',"
	"  cancel_requested INTEGER NOT NULL DEFAULT 0,"
	"  needs_input INTEGER NOT NULL DEFAULT 0,"
	"  no_rover INTEGER NOT NULL DEFAULT 0,"
	"  backoff INTEGER NOT NULL DEFAULT 0,"
	"  messages INTEGER NOT NULL DEFAULT 0,"
	/* 1 once its rover's finish was taken: a repeat is answered. */
	"  reported INTEGER NOT NULL DEFAULT 0,"
	"  retry_of TEXT,"
	"  created_by TEXT REFERENCES users (id),"
	"  queued_at TEXT NOT NULL,"
	"  claimed_at TEXT,"
	"  started_at TEXT,"
	"  finished_at TEXT,"
	"  lease_expires_at TEXT,"
	"  lease_ms INTEGER,"
	"  not_before TEXT NOT NULL,"
	"  not_before_ms INTEGER NOT NULL"
	");"
	/* At most one active run per operation, whatever the code does. */
	"CREATE UNIQUE INDEX runs_active ON runs (op_id)"
	"  WHERE status IN ('queued', 'claimed', 'running');"
	/* Claims walk this in order; it holds only the queued runs. */
	"CREATE INDEX runs_claim ON runs (fleet_id, kind, not_before_ms)"
	"  WHERE status = 'queued';"
	"CREATE INDEX runs_lease ON runs (lease_ms)"
	"  WHERE status IN ('claimed', 'running');"
	"CREATE INDEX runs_held ON runs (rover_id)"
	"  WHERE status IN ('claimed', 'running');"
	"CREATE INDEX runs_backoff ON runs (not_before_ms)"
	"  WHERE status = 'queued' AND backoff = 1;"
	"CREATE INDEX runs_no_rover ON runs (fleet_id, kind)"
	"  WHERE no_rover = 1;"
	"CREATE INDEX runs_op ON runs (op_id, seq);"
	"CREATE INDEX runs_fleet ON runs (fleet_id, seq);"
	/* n orders a run's messages; (attempt, seq) is the rover's own
	 * numbering, which dedups retried batches. */
	"CREATE TABLE run_messages ("
	"  run_id TEXT NOT NULL REFERENCES runs (id),"
	"  n INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, n),"
	"  UNIQUE (run_id, attempt, seq)"
	") WITHOUT ROWID;"
	"CREATE TABLE artifacts ("
	"  id TEXT PRIMARY KEY,"
	"  run_id TEXT NOT NULL REFERENCES runs (id),"
	"  name TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  content BLOB NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  UNIQUE (run_id, name)"
	");"
	"CREATE TABLE signals ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  user_id TEXT NOT NULL REFERENCES users (id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('review_requested',"
	"    'input_requested', 'run_failed', 'no_rover')),"
	"  op_id TEXT NOT NULL REFERENCES operations (id),"
	"  run_id TEXT REFERENCES runs (id),"
	"  message TEXT NOT NULL,"
	"  read_at TEXT,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE INDEX signals_user ON signals (fleet_id, user_id, seq);"
	"CREATE INDEX signals_unread ON signals (fleet_id, user_id, seq)"
	"  WHERE read_at IS NULL;",

	/* 3: fewer pages written a run. A run's messages are keyed by the
	 * run's integer seq, so that each batch lands at the end of the
	 * tree instead of splitting pages all over it; events take their
	 * ids without AUTOINCREMENT's sqlite_sequence row (they are never
	 * deleted, so max(id) + 1 never repeats one); leases are found
	 * through the runs held (few), so renewing one writes no index;
	 * only sub-operations are in the parent index. */
	"CREATE TABLE run_messages_3 ("
	"  run INTEGER NOT NULL REFERENCES runs (seq),"
	"  n INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  PRIMARY KEY (run, n),"
	"  UNIQUE (run, attempt, seq)"
	") WITHOUT ROWID;"
	"INSERT INTO run_messages_3 (run, n, attempt, seq, type, data,"
	"  created_at) SELECT r.seq, m.n, m.attempt, m.seq, m.type, m.data,"
	"  m.created_at FROM run_messages m JOIN runs r ON r.id = m.run_id"
	"  ORDER BY r.seq, m.n;"
	"DROP TABLE run_messages;"
	"ALTER TABLE run_messages_3 RENAME TO run_messages;"
	"CREATE TABLE events_3 ("
	"  id INTEGER PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  kind TEXT NOT NULL,"
	"  entity_id TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"INSERT INTO events_3 (id, fleet_id, kind, entity_id, data,"
	"  created_at) SELECT id, fleet_id, kind, entity_id, data,"
	"  created_at FROM events ORDER BY id;"
	"DROP TABLE events;"
	"ALTER TABLE events_3 RENAME TO events;"
	"CREATE INDEX events_fleet ON events (fleet_id, id);"
	"DELETE FROM sqlite_sequence WHERE name = 'events';"
	/* A run is active (queued, claimed, running) exactly while it has
	 * no finished_at, and held (claimed, running) while it also has a
	 * rover: tests of one column each, which claims, starts and lease
	 * renewals leave alone (an IN list would also cost a temporary
	 * table each time SQLite checks it). */
	"UPDATE runs SET finished_at = coalesce(finished_at, queued_at)"
	"  WHERE status IN ('succeeded', 'failed', 'cancelled')"
	"  AND finished_at IS NULL;"
	"DROP INDEX runs_active;"
	"CREATE UNIQUE INDEX runs_active ON runs (op_id)"
	"  WHERE finished_at IS NULL;"
	"DROP INDEX runs_held;"
	"CREATE INDEX runs_held ON runs (rover_id)"
	"  WHERE rover_id IS NOT NULL AND finished_at IS NULL;"
	"DROP INDEX runs_lease;"
	"DROP INDEX operations_parent;"
	"CREATE INDEX operations_parent ON operations (parent_id)"
	"  WHERE parent_id IS NOT NULL;",
	/* SSH hosts: where ufod installs, starts and tunnels a rover. The
	 * connection state is the SSH manager's, kept here so every client
	 * sees it; remote_port is kept so a reconnect forwards the same port
	 * the rover's registration names. */
	"CREATE TABLE ssh_hosts ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  created_by TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	"  identity TEXT,"
	"  direct TEXT,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  accept_new INTEGER NOT NULL DEFAULT 0,"
	"  remote_port INTEGER,"
	"  rover_id TEXT REFERENCES rovers (id),"
	"  state TEXT NOT NULL CHECK (state IN ('connecting', 'online',"
	"    'reconnecting', 'failed', 'removing')),"
	"  last_error TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL"
	");"
	"CREATE INDEX ssh_hosts_rover ON ssh_hosts (rover_id);",
	/* The credentials vault: secrets sealed with XChaCha20-Poly1305
	 * under the master key (the fleet and name are the additional data,
	 * so a row cannot be moved to another); the one row of vault_keys
	 * names the key they are sealed under by an id derived from it, so a
	 * wrong key is known before anything is decrypted or written. */
	"CREATE TABLE vault_keys ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  key_id TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  rotated_at TEXT"
	");"
	"CREATE TABLE credentials ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  name TEXT NOT NULL,"
	"  env TEXT NOT NULL,"
	"  nonce BLOB NOT NULL,"
	"  ciphertext BLOB NOT NULL,"
	"  created_by TEXT NOT NULL REFERENCES users (id),"
	"  updated_by TEXT NOT NULL REFERENCES users (id),"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (fleet_id, name)"
	");",

	/* Accounts: passwords (Argon2id strings), invitations by email with
	 * a one-time code kept as a hash, and deleted fleets kept as a bare
	 * row so that the event ids they used are never handed out again. */
	"ALTER TABLE users ADD COLUMN password_hash TEXT;"
	"ALTER TABLE fleets ADD COLUMN deleted_at TEXT;"
	"CREATE TABLE invitations ("
	"  id TEXT PRIMARY KEY,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  role TEXT NOT NULL CHECK (role IN ('member', 'admin', 'owner')),"
	"  hash TEXT NOT NULL UNIQUE,"
	"  created_by TEXT NOT NULL REFERENCES users (id),"
	"  created_at TEXT NOT NULL,"
	"  expires_at TEXT NOT NULL,"
	"  accepted_at TEXT,"
	"  accepted_by TEXT REFERENCES users (id),"
	"  revoked_at TEXT"
	");"
	"CREATE INDEX invitations_fleet ON invitations (fleet_id, created_at);",

	/* The end of a fleet's columns is found through the board order's
	 * index (one seek a status), so that moving a card no longer
	 * writes two pages of an index kept for that alone. */
	"DROP INDEX operations_position;",

	/* SSH hosts whose first connection failed for a reason that may
	 * pass (refused, timed out, dropped) are retrying; SQLite changes
	 * a CHECK only by copying the table. */
	"CREATE TABLE ssh_hosts_new ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  fleet_id TEXT NOT NULL REFERENCES fleets (id),"
	"  created_by TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	"  identity TEXT,"
	"  direct TEXT,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  accept_new INTEGER NOT NULL DEFAULT 0,"
	"  remote_port INTEGER,"
	"  rover_id TEXT REFERENCES rovers (id),"
	"  state TEXT NOT NULL CHECK (state IN ('connecting', 'retrying',"
	"    'online', 'reconnecting', 'failed', 'removing')),"
	"  last_error TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL"
	");"
	"INSERT INTO ssh_hosts_new SELECT seq, id, fleet_id, created_by, name,"
	"  user, host, port, identity, direct, tags, accept_new, remote_port,"
	"  rover_id, state, last_error, created_at, updated_at FROM ssh_hosts;"
	"DROP TABLE ssh_hosts;"
	"ALTER TABLE ssh_hosts_new RENAME TO ssh_hosts;"
	"CREATE INDEX ssh_hosts_rover ON ssh_hosts (rover_id);",

	/* A run's message count is its last message's number (they have no
	 * gaps), so that a batch no longer rewrites the run's row. */
	"ALTER TABLE runs DROP COLUMN messages;",

	/* The feed is read in id order, a fleet's events picked out (see
	 * store_event_list): an index by fleet cost every change a page. */
	"DROP INDEX events_fleet;",

	/* CHECKs without IN lists: the work is store_schema_checks's. */
	"",
};
#define STORE_NMIGRATIONS \
	((int)(sizeof store_migrations / sizeof store_migrations[0]))

/*
 * A CHECK's IN list of more than two values costs SQLite a temporary
 * b-tree each time it checks a row: built, filled and dropped for every
 * INSERT and every change of the column (a run's status changes three
 * times, a sixth of the writer's work). The same test as a chain of ORs
 * is a few comparisons. SQLite changes a CHECK only by copying the table
 * or by rewriting the table's text in sqlite_schema, which its manual
 * allows for a constraint that every row already meets ("other kinds of
 * table schema changes"); the texts are those the migrations above wrote.
 */
static const struct store_check {
	const char	*table;
	const char	*column;
	const char	*text;	/* as the migrations above wrote it */
} store_checks[] = {
	{ "members", "role",
	  "CHECK (role IN ('member', 'admin', 'owner'))" },
	{ "operations", "assignee_kind",
	  "CHECK (assignee_kind IN ('pilot', 'user',    'crew'))" },
	{ "relations", "kind",
	  "CHECK (kind IN ('blocks', 'relates',    'duplicate'))" },
	{ "comments", "author_kind",
	  "CHECK (author_kind IN ('user', 'pilot',    'system'))" },
	{ "runs", "status",
	  "CHECK (status IN ('queued', 'claimed',    'running', 'succeeded',"
	  " 'failed', 'cancelled'))" },
	{ "signals", "kind",
	  "CHECK (kind IN ('review_requested',    'input_requested',"
	  " 'run_failed', 'no_rover'))" },
	{ "invitations", "role",
	  "CHECK (role IN ('member', 'admin', 'owner'))" },
	{ "ssh_hosts", "state",
	  "CHECK (state IN ('connecting', 'retrying',    'online',"
	  " 'reconnecting', 'failed', 'removing'))" },
};

/*
 * c's test as "CHECK (col = 'a' OR col = 'b' ...)", the values those of
 * its IN; -1 if it does not fit.
 */
static int
store_check_ors(const struct store_check *c, char *buf, size_t size)
{
	const char	*p, *q;
	size_t		 len;
	int		 n = 0;

	len = (size_t)snprintf(buf, size, "CHECK (");
	for (p = strchr(c->text, '\''); p != NULL && len < size;
	    p = strchr(q + 1, '\'')) {
		if ((q = strchr(p + 1, '\'')) == NULL)
			break;
		len += (size_t)snprintf(buf + len, size - len, "%s%s = %.*s",
		    n++ > 0 ? " OR " : "", c->column, (int)(q - p + 1), p);
	}
	if (len < size)
		len += (size_t)snprintf(buf + len, size - len, ")");
	return (len < size ? 0 : -1);
}

static int
store_schema_checks(struct store *s, struct ufo_error *err)
{
	const struct store_check	*c;
	char				 ors[256], sql[64];
	int64_t				 n;
	size_t				 i;
	int				 r, rc = -1;

	if (store_pragmas(s->db, s->path, "PRAGMA writable_schema = ON",
	    err) != 0)
		return (-1);
	for (i = 0; i < sizeof store_checks / sizeof store_checks[0]; i++) {
		c = &store_checks[i];
		if (store_check_ors(c, ors, sizeof ors) != 0) {
			err_set(err, UFO_EINTERNAL, "", "table %s: its CHECK "
			    "on %s is too long to rewrite", c->table,
			    c->column);
			goto out;
		}
		if ((r = store_exec(s, err, "UPDATE sqlite_schema"
		    " SET sql = replace(sql, ?1, ?2) WHERE type = 'table'"
		    " AND name = ?3 AND instr(sql, ?1) > 0", "sss", c->text,
		    ors, c->table)) == -1)
			goto out;
		if (r == 1)
			continue;
		/* Rewritten already (by hand, say) is as good. */
		if (store_get_int(s, err, &n, "SELECT count(*) FROM"
		    " sqlite_schema WHERE type = 'table' AND name = ?1"
		    " AND instr(sql, ?2) > 0", "ss", c->table, ors) != 1)
			goto out;
		if (n != 1) {
			err_set(err, UFO_EINTERNAL, "", "table %s: its CHECK on"
			    " %s is neither \"%s\" nor \"%s\"", c->table,
			    c->column, c->text, ors);
			goto out;
		}
	}
	/* One more than before: every connection reads the schema again. */
	if (store_get_int(s, err, &n, "PRAGMA schema_version", "") != 1)
		goto out;
	snprintf(sql, sizeof sql, "PRAGMA schema_version = %lld",
	    (long long)n + 1);
	if (store_pragmas(s->db, s->path, sql, err) != 0)
		goto out;
	rc = 0;
out:
	if (store_pragmas(s->db, s->path, "PRAGMA writable_schema = OFF",
	    rc == 0 ? err : NULL) != 0)
		rc = -1;
	return (rc);
}

/* The migrations that end with a step in C, run in their transaction. */
static const struct {
	int	  version;
	int	(*fn)(struct store *, struct ufo_error *);
} store_steps[] = {
	{ 11, store_schema_checks },
};

/* Applies migration i (0-based) and records version i + 1, atomically. */
static int
store_schema_apply(struct store *s, int i, struct ufo_error *err)
{
	struct ufo_error	 e;
	char			*errmsg = NULL;
	char			 sql[64];
	const char		*why = NULL;
	size_t			 j;
	int			 rc;

	if (store_begin(s, err) != 0)
		return (-1);
	err_clear(&e);
	rc = sqlite3_exec(s->db, store_migrations[i], NULL, NULL, &errmsg);
	for (j = 0; rc == SQLITE_OK &&
	    j < sizeof store_steps / sizeof store_steps[0]; j++) {
		if (store_steps[j].version == i + 1 &&
		    store_steps[j].fn(s, &e) != 0) {
			why = e.message;
			rc = SQLITE_ERROR;
		}
	}
	if (rc == SQLITE_OK) {
		/* PRAGMA takes no parameters; the value is our own integer. */
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", i + 1);
		rc = sqlite3_exec(s->db, sql, NULL, NULL, &errmsg);
	}
	if (rc != SQLITE_OK) {
		if (why == NULL)
			why = errmsg != NULL ? errmsg : sqlite3_errstr(rc);
		err_set(err, UFO_EINTERNAL, "", "database %s: migration %d: %s",
		    s->path, i + 1, why);
		log_error("%s: %s", __func__, err->message);
		sqlite3_free(errmsg);
		return (store_end(s, -1, err));
	}
	if (store_end(s, 0, err) != 0)
		return (-1);
	log_info("database %s: schema version %d", s->path, i + 1);
	return (0);
}

int
store_schema_migrate(struct store *s, struct ufo_error *err)
{
	int64_t	 version;
	int	 i;

	if (store_get_int(s, err, &version, "PRAGMA user_version", "") != 1)
		return (-1);
	if (version > STORE_NMIGRATIONS)
		return (err_set(err, UFO_EINTERNAL, "",
		    "database %s has schema version %lld, newer than this "
		    "ufod (%d)", s->path, (long long)version,
		    STORE_NMIGRATIONS));
	for (i = (int)version; i < STORE_NMIGRATIONS; i++) {
		if (store_schema_apply(s, i, err) != 0)
			return (-1);
	}
	return (0);
}
