#ifndef LTM_MQTT_STORE_H
#define LTM_MQTT_STORE_H

/* The MQTT client's persistence: the QoS 1 messages Paho has not yet had
 * acknowledged, one file per message in the service's data dir (the same
 * layout as Paho's own file persistence: <dir>/<client id>-<host>-<port>/
 * <key>.msg), so they survive a crash of the process.
 *
 * Why not Paho's own: Paho 1.3.12's send thread crashes (SIGSEGV) when its
 * file persistence fails to write, as on a full or read-only data dir, and
 * every service crashed in a loop while the disk stayed full. Here a write
 * the disk refuses is kept in memory instead, counted, and logged once per
 * episode: the message still goes out and the service keeps running. Only a
 * crash while a message is held in memory loses it, which the scheduler's
 * leases cover as for LTM_MQTT_PERSISTENCE=memory.
 *
 * The functions below have Paho's MQTTClient_persistence signatures (see
 * MQTTClientPersistence.h); mqtt.c fills that struct with them. 0 is
 * success, -2 (MQTTCLIENT_PERSISTENCE_ERROR) failure. What get and keys
 * return is allocated with MQTTAsync_malloc: free it with MQTTAsync_free. */

#include <stddef.h>
#include <stdint.h>

typedef struct ltm_mqtt_store ltm_mqtt_store;

/* base_dir: the directory that holds one subdirectory per client. Returns
 * NULL when out of memory. Free with ltm_mqtt_store_free (accepts NULL). */
ltm_mqtt_store *ltm_mqtt_store_new(const char *base_dir);
void ltm_mqtt_store_free(ltm_mqtt_store *s);

/* Writes the disk refused since the start, and messages held in memory now. */
uint64_t ltm_mqtt_store_write_failures(ltm_mqtt_store *s);
size_t ltm_mqtt_store_in_memory(ltm_mqtt_store *s);

/* Paho's callbacks; context (popen) and handle are the ltm_mqtt_store. */
int ltm_mqtt_store_open(void **handle, const char *client_id, const char *server_uri,
                        void *context);
int ltm_mqtt_store_close(void *handle);
int ltm_mqtt_store_put(void *handle, char *key, int bufcount, char *buffers[], int buflens[]);
int ltm_mqtt_store_get(void *handle, char *key, char **buffer, int *buflen);
int ltm_mqtt_store_remove(void *handle, char *key);
int ltm_mqtt_store_keys(void *handle, char ***keys, int *nkeys);
int ltm_mqtt_store_clear(void *handle);
int ltm_mqtt_store_contains(void *handle, char *key);

#endif
