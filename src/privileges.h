/* privileges.h - --user: after binding the sockets, run as that user and
 * its group. */
#ifndef SVCDNS_PRIVILEGES_H
#define SVCDNS_PRIVILEGES_H

#include <stddef.h>

/* Switches every thread to user's uid and gid, with that gid alone as
   its groups; nothing when already that user. Returns 0, or -1 with err
   (no such user, the switch failed, or root could be regained). */
int privileges_drop(const char *user, char *err, size_t errlen);

#endif
