/* privileges.c - giving up root once the sockets are bound (privileges.h). */
#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"

/* --user: sockets are bound, so root is no longer needed. setgroups,
   setgid and setuid apply to every thread (glibc). */
int privileges_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "invalid value '%s' for --user: %s", user,
		         errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid && getgid() == pw->pw_gid)
		return 0; /* already that user */
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "--user %s: cannot switch to uid %u gid %u: %s", user,
		         (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "--user %s: could regain root after dropping it", user);
		return -1;
	}
	log_info("running as %s (uid %u, gid %u)", user, (unsigned)pw->pw_uid,
	         (unsigned)pw->pw_gid);
	return 0;
}
