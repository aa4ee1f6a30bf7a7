/*
 * The master key of the credentials vault: 32 random bytes, kept as 64 hex
 * digits in a 0600 file (master.key next to the database, or the file
 * master_key_file names) or in the environment variable master_key_env
 * names. The store gets the key and checks it against the id the database
 * keeps; a wrong or missing key stops ufod before anything is written.
 *
 * Rotation writes the new key to KEYFILE.new (synced), re-seals every
 * credential in one transaction, then renames the new file over the old.
 * A start that finds KEYFILE.new finishes or drops that rotation,
 * whichever the database says happened.
 */
#ifndef UFO_VAULT_H
#define UFO_VAULT_H

#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "store.h"

/* Reads (or on a first start makes) the key and gives it to the store. */
int	 vault_start(struct store *, const struct conf *, struct ufo_error *);
/*
 * Re-seals every credential under a new key (*n of them) and puts it in
 * the key file, whose path *where gets (allocated).
 */
int	 vault_rotate(struct store *, const struct conf *, int64_t *, char **,
	     struct ufo_error *);

#endif
