/* store.h: crash-safe writes of the profiles directory (SPEC §7, §10): a
 * file is replaced whole or not at all, and survives kill -9 and power loss
 * once the call returns. Used by the API (api/arm.c). */
#ifndef GTM_PROFILES_STORE_H
#define GTM_PROFILES_STORE_H

#include <stddef.h>
#include <sys/types.h>

/* store_write: replaces dir/name with text[0..len) atomically: a hidden
 * temporary file in dir (".name.XXXXXX": the profile loader skips hidden
 * files), written in full, fsync'd, renamed over dir/name, then dir fsync'd.
 * dir is created (one level) when missing. A file replaced keeps its mode;
 * a new one gets 0644. Not for concurrent writers of one name. (Temporary
 * files left by an earlier process killed mid-write are removed by
 * store_sweep, once at start: a scan of the directory on every write would
 * make a write cost the number of profiles.)
 * [in] dir: the directory; name: a plain file name (no '/')
 * Returns 0, or a negative errno (the old file, if any, is then untouched
 * and the temporary file removed). */
int store_write(const char *dir, const char *name, const char *text, size_t len);

/* store_write_mode: store_write, the file getting mode (0: as store_write
 * does), whether it is new or replaced: 0600 for a secret, set on the
 * temporary file before a byte is written. */
int store_write_mode(const char *dir, const char *name, const char *text, size_t len, mode_t mode);

/* store_sweep: removes the temporary files (".NAME.json.XXXXXX") that a
 * process killed mid-write left in dir. Call once before the first write. */
void store_sweep(const char *dir);

/* store_sweep_ext: the same for the files named ".NAME<ext>.XXXXXX" (ext
 * such as ".key", under 30 characters), in a directory written with
 * store_write_mode. */
void store_sweep_ext(const char *dir, const char *ext);

/* store_remove: unlinks dir/name and fsyncs dir. A missing file is success.
 * Returns 0 or a negative errno. */
int store_remove(const char *dir, const char *name);

#endif
