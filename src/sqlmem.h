/*
 * SQLite's memory allocator: small blocks kept by each thread by size
 * class, instead of a malloc and a free for every one (sqlmem.c).
 */
#ifndef UFO_SQLMEM_H
#define UFO_SQLMEM_H

/* Before SQLite's first use; 0, or -1 if SQLite refuses it. */
int	 sqlmem_install(void);
/* How many blocks of size's class the calling thread keeps. */
int	 sqlmem_kept(int);

#endif
