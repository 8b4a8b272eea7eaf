# The official broker image instead of Debian's mosquitto, for a host that
# can pull it (compose.eclipse-mosquitto.yaml). Its entrypoint, layout and
# tools (mosquitto_sub, sh) are those deploy/docker/broker.Dockerfile copies.
ARG LTM_BROKER_TAG=2
FROM eclipse-mosquitto:${LTM_BROKER_TAG}
