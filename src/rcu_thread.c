/* rcu_thread.c - the calling thread's RCU registration (rcu_thread.h). */
#include "rcu_thread.h"

#include <stdbool.h>

#include <urcu.h>

static __thread bool registered;

void thread_rcu_register(void)
{
	if (!registered) {
		rcu_register_thread();
		registered = true;
	}
}

void thread_rcu_unregister(void)
{
	if (registered) {
		rcu_unregister_thread();
		registered = false;
	}
}
