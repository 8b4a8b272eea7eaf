# The broker of compose.yaml: Debian's own mosquitto, the 2.0.11 that LTM's
# tests and measurements run (tests/integration/test_broker.py), built from
# the same base image as the services so that no registry is needed.
# The official eclipse-mosquitto image stays an option (docs/deployment.md):
# this one keeps its layout (/mosquitto/config, /mosquitto/data) and its
# entrypoint's behaviour, so compose.yaml mounts the same files for both.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# mosquitto-clients: the health check (mosquitto_sub) and the dead-letter
# archiver of compose.yaml.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        mosquitto mosquitto-clients \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o mosquitto -g mosquitto -m 0755 /mosquitto/config /mosquitto/data
COPY deploy/docker/broker-entrypoint /usr/local/bin/broker-entrypoint
VOLUME /mosquitto/data
EXPOSE 1883
ENTRYPOINT ["/usr/local/bin/broker-entrypoint"]
CMD ["mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]
