/* bench/pull/nofsync.c: an LD_PRELOAD shim that makes fsync and fdatasync do nothing, so that
   bench/pull/run can show what crioimg pull's durability costs (the "crioimg-nofsync" row). For
   measuring only: a store written under it is not crash-safe. */
int fsync(int fd);
int fdatasync(int fd);
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
