/* rcu_thread.h - one record of whether this thread is registered with
 * liburcu, for the code that must be (readers, and writers that delete
 * from an RCU hash table) whichever thread it runs on: registering twice
 * corrupts liburcu's registry, so every part asks here. */
#ifndef SVCDNS_RCU_THREAD_H
#define SVCDNS_RCU_THREAD_H

/* Registers the calling thread unless it is already. */
void thread_rcu_register(void);

/* Unregisters it, if it is (a query thread's end). */
void thread_rcu_unregister(void);

#endif
